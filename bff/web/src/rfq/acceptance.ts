/**
 * What became of an acceptance. acceptQuote answers the RFQ in ACCEPTED; the trade only exists
 * once the LP passed its last look and the RFQ is TRADED. A refusal at last look sends the RFQ back
 * to QUOTING without the refused quote (or to REJECTED once the RFQ has expired).
 */
import type { Quote, Rfq } from '../api/operations';

export interface PendingAcceptance {
  rfqId: string;
  quote: Quote;
  /** The RFQ version acceptQuote answered with (ACCEPTED). */
  version: number;
}

export type AcceptanceOutcome =
  | { kind: 'waiting'; lastLook: boolean }
  | { kind: 'traded'; tradeId: string }
  | { kind: 'rejected'; reason: string | null; rfqClosed: boolean }
  | { kind: 'unknown' };

export function acceptanceOutcome(pending: PendingAcceptance, rfq: Rfq): AcceptanceOutcome {
  if (rfq.id !== pending.rfqId) return { kind: 'unknown' };
  if (rfq.status === 'TRADED') {
    const tradeId = rfq.tradeIds[0];
    return tradeId ? { kind: 'traded', tradeId } : { kind: 'waiting', lastLook: false };
  }
  if (rfq.status === 'ACCEPTED' && rfq.acceptedQuoteId === pending.quote.id) return { kind: 'waiting', lastLook: pending.quote.lastLook };
  // An older read of the RFQ (before the acceptance) says nothing about it.
  if (rfq.version <= pending.version && rfq.status !== 'REJECTED') return { kind: 'waiting', lastLook: pending.quote.lastLook };
  if (rfq.status === 'REJECTED') return { kind: 'rejected', reason: lastLookReason(rfq.statusReason), rfqClosed: true };
  if (rfq.status === 'QUOTING' && rfq.acceptedQuoteId !== pending.quote.id) {
    return { kind: 'rejected', reason: lastLookReason(lastLookAudit(rfq)), rfqClosed: false };
  }
  return { kind: 'unknown' };
}

function lastLookReason(text: string | null | undefined): string | null {
  if (!text) return null;
  return text.replace(/^last look:\s*/i, '') || null;
}

function lastLookAudit(rfq: Rfq): string | null {
  const entries = rfq.audit ?? [];
  for (let i = entries.length - 1; i >= 0; i -= 1) {
    const e = entries[i]!;
    if (/reject/i.test(e.event) && /accept|last.?look/i.test(e.event)) return e.detail ?? e.outcome ?? null;
  }
  return null;
}
