/** Small hooks over the plain-TS stores (for low-frequency UI state only, never per tick). */
import { useSyncExternalStore } from 'react';
import type { ConnectionStatus } from '../api/connection';
import type { ConnectionView } from '../api/backend';

export function useConnectionStatus(connection: ConnectionView): ConnectionStatus {
  return useSyncExternalStore(connection.onStatus, connection.getStatus);
}
