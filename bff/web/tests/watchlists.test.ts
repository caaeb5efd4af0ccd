import { describe, expect, it } from 'vitest';
import { initialWatchlists, watchedInstruments, watchlistReducer as reduce } from '../src/workspace/watchlists';

describe('watchlists', () => {
  it('creates, renames, reorders and deletes lists', () => {
    let s = initialWatchlists(['EURUSD']);
    s = reduce(s, { type: 'create', id: 'w2', name: ' Rates ' });
    s = reduce(s, { type: 'create', id: 'w3', name: 'Credit' });
    expect(s.activeId).toBe('w3');
    s = reduce(s, { type: 'rename', id: 'w2', name: 'G10 Rates' });
    s = reduce(s, { type: 'rename', id: 'w2', name: '   ' });
    s = reduce(s, { type: 'move', id: 'w3', toIndex: 0 });
    expect(s.lists.map((l) => l.name)).toEqual(['Credit', 'Main', 'G10 Rates']);
    s = reduce(s, { type: 'delete', id: 'w3' });
    expect(s.activeId).toBe('default');
    s = reduce(s, { type: 'delete', id: 'w2' });
    expect(reduce(s, { type: 'delete', id: 'default' }).lists).toHaveLength(1);
  });

  it('streams the active list plus pinned instruments, without duplicates', () => {
    let s = initialWatchlists(['EURUSD', 'GBPUSD']);
    s = reduce(s, { type: 'togglePin', instrumentId: 'UST10Y' });
    s = reduce(s, { type: 'togglePin', instrumentId: 'EURUSD' });
    s = reduce(s, { type: 'addInstrument', instrumentId: 'GBPUSD' });
    expect(watchedInstruments(s)).toEqual(['UST10Y', 'EURUSD', 'GBPUSD']);
    s = reduce(s, { type: 'togglePin', instrumentId: 'UST10Y' });
    s = reduce(s, { type: 'removeInstrument', instrumentId: 'GBPUSD' });
    expect(watchedInstruments(s)).toEqual(['EURUSD']);
  });
});
