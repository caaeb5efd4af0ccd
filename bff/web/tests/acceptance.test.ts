import { describe, expect, it } from 'vitest';
import type { Quote, Rfq } from '../src/api/operations';
import { acceptanceOutcome, type PendingAcceptance } from '../src/rfq/acceptance';

const quote: Quote = {
  id: 'q1', rfqId: 'r1', lpId: 'lp-a', lpName: 'lp-a', price: '1.0836', quantity: '1000000', receivedAt: '2026-11-24T10:00:00Z',
  validUntil: '2026-11-24T10:00:20Z', rank: 1, live: true, status: 'ACTIVE', timeRemainingMs: 5_000, lastLook: true, correlationId: 'c1',
};
const rfq = (extra: Partial<Rfq>): Rfq => ({
  id: 'r1', correlationId: 'c1', instrumentId: 'FX.EURUSD', side: 'BUY', quantity: '1000000', minQuantity: null, allowPartial: false,
  status: 'ACCEPTED', version: 4, createdAt: '2026-11-24T10:00:00Z', expiresAt: '2026-11-24T10:00:30Z', timeRemainingMs: 10_000,
  statusReason: null, acceptedQuoteId: 'q1', quotes: [quote], tradeIds: [], audit: [], ...extra,
});
const pending: PendingAcceptance = { rfqId: 'r1', quote, version: 4 };

describe('following an acceptance to a trade or a last-look refusal', () => {
  it('waits while the RFQ is ACCEPTED (last look pending), and ignores older reads', () => {
    expect(acceptanceOutcome(pending, rfq({}))).toEqual({ kind: 'waiting', lastLook: true });
    expect(acceptanceOutcome(pending, rfq({ status: 'QUOTING', version: 3, acceptedQuoteId: null }))).toMatchObject({ kind: 'waiting' });
  });

  it('reports the trade once the RFQ is TRADED', () => {
    expect(acceptanceOutcome(pending, rfq({ status: 'TRADED', version: 6, tradeIds: ['T-1'] }))).toEqual({ kind: 'traded', tradeId: 'T-1' });
  });

  it('reports a last-look refusal: back to QUOTING without the quote, or REJECTED after expiry', () => {
    const back = rfq({
      status: 'QUOTING', version: 5, acceptedQuoteId: null, quotes: [],
      audit: [{ at: '2026-11-24T10:00:02Z', event: 'QuoteAcceptanceRejected', actor: 'lp-a', outcome: null, detail: 'price moved' }],
    });
    expect(acceptanceOutcome(pending, back)).toEqual({ kind: 'rejected', reason: 'price moved', rfqClosed: false });
    expect(acceptanceOutcome(pending, rfq({ status: 'REJECTED', version: 5, acceptedQuoteId: null, statusReason: 'last look: off market' })))
      .toEqual({ kind: 'rejected', reason: 'off market', rfqClosed: true });
  });
});
