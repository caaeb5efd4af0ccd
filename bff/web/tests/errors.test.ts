import { describe, expect, it } from 'vitest';
import { explainOrionError, explainUnknown, GraphqlRequestError } from '../src/api/errors';

describe('trader-readable errors', () => {
  it('explains last look and expiry plainly', () => {
    const m = explainOrionError({ __typename: 'LastLookRejected', code: 'LAST_LOOK_REJECTED', message: 'lp declined', correlationId: 'c-9' });
    expect(m.title).toBe('Rejected on last look');
    expect(m.detail).toContain('No trade was done');
    expect(m.correlationId).toBe('c-9');
    expect(explainOrionError({ __typename: 'QuoteExpired', code: 'QUOTE_EXPIRED', message: '' }).title).toBe('Quote expired');
  });

  it('falls back to the server message for unknown codes and explains network failures', () => {
    expect(explainUnknown(new GraphqlRequestError('Venue closed', 'VENUE_CLOSED')).detail).toBe('Venue closed');
    expect(explainUnknown(new TypeError('Failed to fetch')).title).toBe('Cannot reach Orion');
    expect(explainUnknown(new GraphqlRequestError('x', 'FORBIDDEN')).title).toBe('Not permitted');
    expect(explainUnknown(new GraphqlRequestError('masked', 'INTERNAL', 'err-7')).correlationId).toBe('err-7');
  });
});
