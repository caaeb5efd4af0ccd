/** RFQs and trades for the blotters: upserts by id, change batches for the grids (no React state). */
import type { Rfq, Trade } from '../api/operations';

type Listener<T> = (changed: { add: T[]; update: T[] }) => void;

export class EntityStore<T extends { id: string }> {
  private readonly items = new Map<string, T>();
  private readonly listeners = new Set<Listener<T>>();
  private version = 0;
  private cache: T[] = [];
  private cacheVersion = -1;

  subscribe = (listener: Listener<T>): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): T[] => {
    if (this.cacheVersion !== this.version) {
      this.cache = [...this.items.values()];
      this.cacheVersion = this.version;
    }
    return this.cache;
  };

  get(id: string): T | undefined {
    return this.items.get(id);
  }

  upsert(values: readonly T[]): void {
    const add: T[] = [];
    const update: T[] = [];
    for (const value of values) {
      (this.items.has(value.id) ? update : add).push(value);
      this.items.set(value.id, value);
    }
    if (add.length + update.length === 0) return;
    this.version += 1;
    for (const listener of this.listeners) listener({ add, update });
  }
}

export class BlotterStore {
  readonly rfqs = new EntityStore<Rfq>();
  readonly trades = new EntityStore<Trade>();
}
