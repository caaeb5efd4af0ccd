import { describe, expect, it } from 'vitest';
import {
  formatAge, formatCompact, formatExactPrice, formatNotional, formatPrice, formatQuantity, formatTimeRemaining, spreadInTicks, tickDecimals,
} from '../src/format/format';

describe('price formatting with tick size', () => {
  it('derives decimals from the tick size', () => {
    expect(tickDecimals('0.0001')).toBe(4);
    expect(tickDecimals('0.00001')).toBe(5);
    expect(tickDecimals('0.25')).toBe(2);
    expect(tickDecimals('0.50')).toBe(1);
    expect(tickDecimals('1')).toBe(0);
    expect(tickDecimals(1e-7)).toBe(7);
  });

  it('rounds to the nearest tick and pads to the tick decimals', () => {
    expect(formatPrice(1.08345, '0.0001')).toBe('1.0835');
    expect(formatPrice(1.0834499, '0.0001')).toBe('1.0834');
    expect(formatPrice(1.1, '0.0001')).toBe('1.1000');
    expect(formatPrice(101.37, '0.25')).toBe('101.25');
    expect(formatPrice(101.38, '0.25')).toBe('101.50');
    expect(formatPrice('150.123', '0.001')).toBe('150.123');
    expect(formatPrice(4_512.4, '5')).toBe('4510');
  });

  it('shows executed prices exactly, padded to the tick', () => {
    expect(formatExactPrice('1.0835', '0.00001')).toBe('1.08350');
    expect(formatExactPrice('1.083485', '0.00001')).toBe('1.083485');
    expect(formatExactPrice('101.500000', '0.25')).toBe('101.50');
    expect(formatExactPrice('4510', '5')).toBe('4510');
    expect(formatExactPrice(null, '0.01')).toBe('—');
  });

  it('shows a dash for missing prices', () => {
    expect(formatPrice(null, '0.01')).toBe('—');
    expect(formatPrice(Number.NaN, '0.01')).toBe('—');
  });

  it('expresses a spread in ticks', () => {
    expect(spreadInTicks(0.00015, '0.0001')).toBe(1.5);
    expect(spreadInTicks(null, '0.0001')).toBeNull();
  });
});

describe('sizes and notional', () => {
  it('groups quantities', () => {
    expect(formatQuantity(1_000_000)).toBe('1,000,000');
    expect(formatQuantity('2500.5')).toBe('2,500.50');
  });

  it('multiplies quantity by price with two decimals and currency', () => {
    expect(formatNotional(1_000_000, 1.0835, 'USD')).toBe('1,083,500.00 USD');
    expect(formatNotional('250000', '99.875')).toBe('24,968,750.00');
    expect(formatNotional(3, 0.1)).toBe('0.30');
    expect(formatNotional(null, 1)).toBe('—');
  });

  it('abbreviates large sizes', () => {
    expect(formatCompact(1_500_000)).toBe('1.5M');
    expect(formatCompact(250_000)).toBe('250K');
    expect(formatCompact(2_000_000_000)).toBe('2B');
    expect(formatCompact(950)).toBe('950');
  });
});

describe('time remaining and age', () => {
  it('counts down plainly', () => {
    expect(formatTimeRemaining(0)).toBe('Expired');
    expect(formatTimeRemaining(-5)).toBe('Expired');
    expect(formatTimeRemaining(4_290)).toBe('4.2s');
    expect(formatTimeRemaining(9_999)).toBe('9.9s');
    expect(formatTimeRemaining(42_000)).toBe('42s');
    expect(formatTimeRemaining(125_000)).toBe('2m 05s');
  });

  it('shows the age of the last update', () => {
    expect(formatAge(200)).toBe('<1s');
    expect(formatAge(7_400)).toBe('7s');
    expect(formatAge(180_000)).toBe('3m');
    expect(formatAge(7_200_000)).toBe('2h');
    expect(formatAge(null)).toBe('—');
  });
});
