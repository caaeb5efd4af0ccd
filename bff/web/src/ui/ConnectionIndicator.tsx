/** Connection status light: green live, amber connecting/reconnecting, red logged out or closed. */
import type { ConnectionView } from '../api/backend';
import { useConnectionStatus } from './useExternal';

const LABELS: Record<string, { text: string; tone: 'ok' | 'warn' | 'bad' }> = {
  idle: { text: 'Not connected', tone: 'bad' },
  connecting: { text: 'Connecting…', tone: 'warn' },
  connected: { text: 'Live', tone: 'ok' },
  reconnecting: { text: 'Reconnecting…', tone: 'warn' },
  unauthorized: { text: 'Session expired', tone: 'bad' },
  closed: { text: 'Disconnected', tone: 'bad' },
};

export function ConnectionIndicator({ connection }: { connection: ConnectionView }) {
  const status = useConnectionStatus(connection);
  const label = LABELS[status] ?? { text: status, tone: 'bad' as const };
  return (
    <button
      type="button"
      className={`conn conn-${label.tone}`}
      data-testid="connection-status"
      data-status={status}
      title="Streaming connection. Click to reconnect now."
      onClick={() => connection.reconnectNow()}
    >
      <span className="conn-dot" aria-hidden="true" />
      {label.text}
    </button>
  );
}
