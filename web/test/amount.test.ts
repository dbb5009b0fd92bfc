import { describe, expect, it } from 'vitest';

import {
  AmountError,
  chartScale,
  formatMove,
  formatOctas,
  parseMove,
  scaledToOctas,
  toChartUnits,
  U64_MAX,
} from '@/lib/amount';

describe('formatMove', () => {
  it('formats integers of octas as MOVE with 8 decimals', () => {
    expect(formatMove(0n)).toBe('0.00000000 MOVE');
    expect(formatMove(1n)).toBe('0.00000001 MOVE');
    expect(formatMove(100_000_000n)).toBe('1.00000000 MOVE');
    expect(formatMove('150000000')).toBe('1.50000000 MOVE');
  });

  it('keeps u64::MAX exact', () => {
    expect(formatMove(U64_MAX)).toBe('184467440737.09551615 MOVE');
    expect(formatMove('18446744073709551615')).toBe('184467440737.09551615 MOVE');
  });

  it('rejects what is not a decimal string of octas', () => {
    expect(() => formatMove('1.5')).toThrow(AmountError);
    expect(() => formatMove('-1')).toThrow(AmountError);
    expect(() => formatMove('1e9')).toThrow(AmountError);
  });

  it('shows octas for hover titles', () => {
    expect(formatOctas(U64_MAX)).toBe('18,446,744,073,709,551,615 octas');
    expect(formatOctas(0n)).toBe('0 octas');
  });
});

describe('parseMove', () => {
  it('parses what a person types into octas', () => {
    expect(parseMove('1.5')).toBe(150_000_000n);
    expect(parseMove('1')).toBe(100_000_000n);
    expect(parseMove('0.00000001')).toBe(1n);
    expect(parseMove('.5')).toBe(50_000_000n);
    expect(parseMove('2.')).toBe(200_000_000n);
    expect(parseMove(' 0 ')).toBe(0n);
    expect(parseMove('184467440737.09551615')).toBe(U64_MAX);
  });

  it('rejects more than 8 decimals', () => {
    expect(() => parseMove('0.000000001')).toThrow(/at most 8 decimals/);
  });

  it('rejects negatives', () => {
    expect(() => parseMove('-1')).toThrow(/negative/);
    expect(() => parseMove('-0.5')).toThrow(AmountError);
  });

  it('rejects garbage and amounts above u64::MAX', () => {
    for (const bad of ['', ' ', '.', 'abc', '1e8', '1,5', '1.2.3', '+1', '0x10']) {
      expect(() => parseMove(bad), bad).toThrow(AmountError);
    }
    expect(() => parseMove('184467440737.09551616')).toThrow(/u64::MAX/);
  });
});

describe('chart units', () => {
  it('plots exact integers and labels from BigInt', () => {
    const scale = chartScale(U64_MAX);
    const units = toChartUnits(U64_MAX, scale);
    expect(Number.isSafeInteger(units)).toBe(true);
    expect(scaledToOctas(units, scale) <= U64_MAX).toBe(true);
    expect(chartScale(123n)).toBe(1n);
  });
});
