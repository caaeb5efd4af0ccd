/** Turns BFF error codes, GraphQL errors and network failures into messages a trader understands. */
import { errorCodeOf, type OrionError } from './operations';

export interface TraderMessage {
  title: string;
  detail: string;
  /** What the trader can do next, if anything. */
  action?: string;
  severity: 'warning' | 'error';
  code: string;
  correlationId?: string | null;
}

const MESSAGES: Record<string, Omit<TraderMessage, 'code' | 'correlationId'>> = {
  LAST_LOOK_REJECTED: {
    title: 'Rejected on last look',
    detail: 'The liquidity provider declined to trade at that price. No trade was done.',
    action: 'Choose another quote or send a new RFQ.',
    severity: 'warning',
  },
  QUOTE_EXPIRED: {
    title: 'Quote expired',
    detail: 'That quote was no longer valid when your accept arrived. No trade was done.',
    action: 'Accept another live quote or send a new RFQ.',
    severity: 'warning',
  },
  RFQ_EXPIRED: {
    title: 'RFQ expired',
    detail: 'The request for quotes reached its expiry. No trade was done.',
    action: 'Send a new RFQ.',
    severity: 'warning',
  },
  RFQ_NOT_OPEN: {
    title: 'RFQ no longer open',
    detail: 'This RFQ was already accepted, cancelled or expired.',
    severity: 'warning',
  },
  CANCEL_AFTER_ACCEPT: {
    title: 'Too late to cancel',
    detail: 'A quote was already accepted on this RFQ; it can no longer be cancelled.',
    severity: 'warning',
  },
  VERSION_CONFLICT: {
    title: 'RFQ changed',
    detail: 'The RFQ changed while you acted (for example a new quote arrived). Nothing was done.',
    action: 'Check the quotes and try again.',
    severity: 'warning',
  },
  RFQ_NOT_FOUND: {
    title: 'RFQ not found',
    detail: 'Orion has no such RFQ for you.',
    severity: 'error',
  },
  QUOTE_NOT_FOUND: {
    title: 'Quote no longer there',
    detail: 'That quote is not on the RFQ any more (withdrawn or refused). Nothing was done.',
    action: 'Accept another live quote.',
    severity: 'warning',
  },
  PRE_TRADE_REJECTED: {
    title: 'Refused by a pre-trade check',
    detail: 'A risk check refused the request.',
    action: 'Reduce the size or contact risk control.',
    severity: 'error',
  },
  NOT_ENTITLED: {
    title: 'Not permitted',
    detail: 'Your account is not entitled to trade this instrument or venue.',
    action: 'Ask your administrator for the entitlement.',
    severity: 'error',
  },
  FORBIDDEN: {
    title: 'Not permitted',
    detail: 'Your role does not allow this action.',
    action: 'Ask your administrator if you need it.',
    severity: 'error',
  },
  INTERNAL: {
    title: 'Server error',
    detail: 'Orion could not complete the request. It has been logged.',
    action: 'Try again; quote the reference to support if it persists.',
    severity: 'error',
  },
  LIMIT_BREACHED: {
    title: 'Risk limit reached',
    detail: 'This request would exceed a notional or rate limit set for you or your desk.',
    action: 'Reduce the size or contact risk control.',
    severity: 'error',
  },
  KILL_SWITCH_ACTIVE: {
    title: 'Trading halted',
    detail: 'Risk control has stopped trading (kill switch). Nothing was sent.',
    severity: 'error',
  },
  INVALID_INPUT: {
    title: 'Check the ticket',
    detail: 'Some fields are not valid.',
    severity: 'warning',
  },
  UNAUTHENTICATED: {
    title: 'Session expired',
    detail: 'Your login has expired.',
    action: 'Log in again.',
    severity: 'error',
  },
  RATE_LIMITED: {
    title: 'Too many requests',
    detail: 'You are sending requests faster than allowed.',
    action: 'Wait a moment and try again.',
    severity: 'warning',
  },
  NETWORK: {
    title: 'Cannot reach Orion',
    detail: 'The request did not reach the server. Nothing is known to have been done.',
    action: 'Check your connection and try again; a retry will not duplicate the request.',
    severity: 'error',
  },
};

export function explainCode(code: string, serverMessage?: string | null, correlationId?: string | null): TraderMessage {
  const known = MESSAGES[code];
  if (known) {
    const useServer = (code === 'INVALID_INPUT' || code === 'PRE_TRADE_REJECTED') && serverMessage;
    const detail = useServer ? serverMessage : known.detail;
    return { ...known, detail, code, correlationId: correlationId ?? null };
  }
  return {
    title: 'Request failed',
    detail: serverMessage && serverMessage.trim() !== '' ? serverMessage : 'The server could not complete the request.',
    action: correlationId ? 'Quote the reference to support if this persists.' : undefined,
    severity: 'error',
    code: code || 'UNKNOWN',
    correlationId: correlationId ?? null,
  } as TraderMessage;
}

export function explainOrionError(error: OrionError): TraderMessage {
  return explainCode(errorCodeOf(error), error.message, error.correlationId ?? null);
}

/** A failure from the transport or a GraphQL `errors` array, carrying a code when the server gave one. */
export class GraphqlRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly correlationId: string | null = null,
  ) {
    super(message);
    this.name = 'GraphqlRequestError';
  }
}

export function explainUnknown(error: unknown): TraderMessage {
  if (error instanceof GraphqlRequestError) return explainCode(error.code, error.message, error.correlationId);
  if (error instanceof TypeError) return explainCode('NETWORK');
  const message = error instanceof Error ? error.message : String(error);
  return explainCode('UNKNOWN', message);
}
