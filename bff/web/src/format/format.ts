/** Display formatting for prices, sizes, notionals, ages and countdowns (display only, never for maths). */

const EPSILON = 1e-9;

/** Number of decimals implied by a tick size such as "0.0001" (4), "0.25" (2) or "5" (0). */
export function tickDecimals(tickSize: string | number): number {
  const text = typeof tickSize === 'number' ? String(tickSize) : tickSize.trim();
  if (/e-/i.test(text)) {
    const exp = Number(text.split(/e-/i)[1]);
    const mantissa = text.split(/e/i)[0] ?? '';
    const mantissaDecimals = mantissa.includes('.') ? (mantissa.split('.')[1]?.length ?? 0) : 0;
    return exp + mantissaDecimals;
  }
  const dot = text.indexOf('.');
  if (dot < 0) return 0;
  return text.slice(dot + 1).replace(/0+$/, '').length;
}

/** Round a price to the nearest multiple of the tick size and print it with the tick's decimals. */
export function formatPrice(value: number | string | null | undefined, tickSize: string | number): string {
  const price = typeof value === 'string' ? Number(value) : value;
  if (price === null || price === undefined || !Number.isFinite(price)) return '—';
  const tick = Number(tickSize);
  const decimals = tickDecimals(tickSize);
  if (!(tick > 0)) return price.toFixed(decimals);
  const ticks = Math.round(price / tick + (price >= 0 ? EPSILON : -EPSILON));
  return (ticks * tick).toFixed(decimals);
}

/**
 * An executed or quoted price exactly as the server sent it (never rounded), padded to at least
 * the tick's decimals: "1.0835" with tick 0.00001 → "1.08350"; "1.083485" stays "1.083485".
 */
export function formatExactPrice(value: string | number | null | undefined, tickSize: string | number): string {
  if (value === null || value === undefined || value === '') return '—';
  const text = typeof value === 'number' ? String(value) : value.trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) return Number.isFinite(Number(text)) ? String(Number(text)) : '—';
  const [whole, fraction = ''] = text.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  const decimals = Math.max(tickDecimals(tickSize), trimmed.length);
  return decimals === 0 ? (whole ?? '0') : `${whole}.${trimmed.padEnd(decimals, '0')}`;
}

/** Spread expressed in ticks, e.g. 1.5 for 0.00015 with tick 0.0001. */
export function spreadInTicks(spread: number | null, tickSize: string | number): number | null {
  const tick = Number(tickSize);
  if (spread === null || !Number.isFinite(spread) || !(tick > 0)) return null;
  return Math.round((spread / tick) * 10) / 10;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const grouped2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** Quantity with thousands separators: 1000000 → "1,000,000". */
export function formatQuantity(value: number | string | null | undefined): string {
  const qty = typeof value === 'string' ? Number(value) : value;
  if (qty === null || qty === undefined || !Number.isFinite(qty)) return '—';
  return Number.isInteger(qty) ? grouped.format(qty) : grouped2.format(qty);
}

/** Notional = quantity × price, two decimals with separators, optional currency suffix. */
export function formatNotional(
  quantity: number | string | null | undefined,
  price: number | string | null | undefined,
  currency?: string,
): string {
  const q = Number(quantity);
  const p = Number(price);
  if (quantity === null || quantity === undefined || price === null || price === undefined) return '—';
  if (!Number.isFinite(q) || !Number.isFinite(p)) return '—';
  const text = grouped2.format(Math.round(q * p * 100) / 100);
  return currency ? `${text} ${currency}` : text;
}

/** Compact size for narrow cells: 1500000 → "1.5M", 250000 → "250K". */
export function formatCompact(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const units: Array<[number, string]> = [[1e9, 'B'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, suffix] of units) {
    if (abs >= size) {
      const scaled = value / size;
      const text = Number.isInteger(scaled) ? String(scaled) : scaled.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
      return `${text}${suffix}`;
    }
  }
  return String(value);
}

/** Countdown for a quote or RFQ: "Expired", "4.2s" under 10 s, "42s" under a minute, then "2m 05s". */
export function formatTimeRemaining(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return 'Expired';
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds}s`;
  const minutes = Math.floor(totalSeconds / 60);
  const seconds = totalSeconds % 60;
  return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
}

/** Age of the last update: "<1s", "7s", "3m", "2h". */
export function formatAge(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return '<1s';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  return `${Math.floor(m / 60)}h`;
}

/** Wall-clock time in UTC, to the millisecond: "14:03:07.123". */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '—';
  return date.toISOString().slice(11, 23);
}
