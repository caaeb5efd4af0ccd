import { describe, expect, it } from 'vitest';
import type { Quote } from '../src/api/operations';
import { bestQuote, quoteStateLabel, rankQuotes } from '../src/rfq/ranking';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();

function quote(id: string, price: string, receivedMs: number, extra: Partial<Quote> = {}): Quote {
  return {
    id, rfqId: 'r1', lpId: `lp-${id}`, lpName: `LP ${id}`, price, quantity: '1000000',
    receivedAt: at(receivedMs), validUntil: at(5_000), status: 'ACTIVE', rank: 1, live: true, timeRemainingMs: 5_000, lastLook: true, correlationId: 'c1', ...extra,
  };
}

describe('quote ranking display', () => {
  const quotes = [quote('a', '1.0836', -300), quote('b', '1.0834', -200), quote('c', '1.0834', -900), quote('d', '1.0840', -100)];

  it('shows a buyer the lowest offer first, equal prices by receipt time', () => {
    const ranked = rankQuotes(quotes, 'BUY', NOW);
    expect(ranked.map((r) => r.quote.id)).toEqual(['c', 'b', 'a', 'd']);
    expect(ranked.map((r) => r.rank)).toEqual([1, 2, 3, 4]);
    expect(ranked[2]?.behindBest).toBeCloseTo(0.0002, 10);
  });

  it('shows a seller the highest bid first', () => {
    expect(rankQuotes(quotes, 'SELL', NOW).map((r) => r.quote.id)).toEqual(['d', 'a', 'c', 'b']);
  });

  it('puts expired, withdrawn and rejected quotes after live ones, without a rank', () => {
    const mixed = [
      quote('old', '1.0000', -4_000, { validUntil: at(-1) }),
      quote('rej', '1.0001', -3_000),
      quote('live', '1.0900', -2_000),
    ];
    const refused = new Set(['rej']);
    const ranked = rankQuotes(mixed, 'BUY', NOW, true, refused);
    expect(ranked.map((r) => [r.quote.id, r.rank])).toEqual([['live', 1], ['rej', null], ['old', null]]);
    expect(ranked[0]?.timeRemainingMs).toBe(5_000);
    expect(bestQuote(mixed.filter((q) => !refused.has(q.id)), 'BUY', NOW)?.id).toBe('live');
    expect(quoteStateLabel(mixed[0]!, NOW)).toBe('Expired');
    expect(quoteStateLabel(mixed[1]!, NOW, true, true)).toBe('Rejected on last look');
  });

  it('ranks nothing once the RFQ is closed', () => {
    const ranked = rankQuotes([quote('a', '1.1', -100), quote('b', '1.0', -50, { status: 'ACCEPTED' })], 'BUY', NOW, false);
    expect(ranked.every((r) => !r.live && r.rank === null)).toBe(true);
    expect(quoteStateLabel(ranked.find((r) => r.quote.id === 'a')!.quote, NOW, false)).toBe('Not taken');
    expect(quoteStateLabel(ranked.find((r) => r.quote.id === 'b')!.quote, NOW, false)).toBe('Accepted');
  });

  it('has no best quote when nothing is live', () => {
    expect(bestQuote([quote('x', '1', 0, { validUntil: at(0) })], 'BUY', NOW)).toBeNull();
  });
});
