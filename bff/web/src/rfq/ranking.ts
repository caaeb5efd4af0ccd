/** Ranking of live quotes for display: best price for the requester first, ties by receipt time. */
import type { Quote, Side } from '../api/operations';

export interface RankedQuote {
  quote: Quote;
  /** 1-based rank among live quotes; null for quotes that can no longer be accepted. */
  rank: number | null;
  live: boolean;
  timeRemainingMs: number;
  /** Price distance from the best live quote, in price units (0 for the best). */
  behindBest: number | null;
}

export function isLive(quote: Quote, now: number): boolean {
  return quote.status === 'ACTIVE' && Date.parse(quote.validUntil) > now;
}

/**
 * A buyer sees the lowest offer first, a seller the highest bid first. Equal prices: the quote
 * received first ranks first (then by id, so the order is stable). Quotes that are no longer live
 * follow the live ones, most recent first, and carry no rank.
 */
export function rankQuotes(
  quotes: readonly Quote[], side: Side, now: number, rfqOpen = true, refused: ReadonlySet<string> = new Set(),
): RankedQuote[] {
  // Once the RFQ is traded, cancelled or expired no quote can be taken, whatever its own state;
  // a quote refused at last look (kept by the ticket, the server drops it) is never live again.
  const live = rfqOpen ? quotes.filter((q) => isLive(q, now) && !refused.has(q.id)) : [];
  const dead = quotes.filter((q) => !live.includes(q));
  const sign = side === 'BUY' ? 1 : -1;
  live.sort((a, b) => {
    const byPrice = sign * (Number(a.price) - Number(b.price));
    if (byPrice !== 0) return byPrice;
    const byTime = Date.parse(a.receivedAt) - Date.parse(b.receivedAt);
    return byTime !== 0 ? byTime : a.id.localeCompare(b.id);
  });
  dead.sort((a, b) => Date.parse(b.receivedAt) - Date.parse(a.receivedAt));
  const best = live[0] ? Number(live[0].price) : null;
  return [
    ...live.map((quote, index) => ({
      quote,
      rank: index + 1,
      live: true,
      timeRemainingMs: Math.max(0, Date.parse(quote.validUntil) - now),
      behindBest: best === null ? null : Math.abs(Number(quote.price) - best),
    })),
    ...dead.map((quote) => ({ quote, rank: null, live: false, timeRemainingMs: 0, behindBest: null })),
  ];
}

/** The quote "accept best" would take, or null when none is live. */
export function bestQuote(quotes: readonly Quote[], side: Side, now: number): Quote | null {
  return rankQuotes(quotes, side, now).find((r) => r.live)?.quote ?? null;
}

/** Plain-words label for a quote's state in the ticket. */
export function quoteStateLabel(quote: Quote, now: number, rfqOpen = true, refused = false): string {
  if (refused) return 'Rejected on last look';
  switch (quote.status) {
    case 'ACCEPTED':
      return 'Accepted';
    case 'WITHDRAWN':
      return rfqOpen ? 'Withdrawn by LP' : 'Not taken';
    case 'EXPIRED':
      return 'Expired';
    default:
      if (!rfqOpen) return 'Not taken';
      return Date.parse(quote.validUntil) > now ? 'Live' : 'Expired';
  }
}
