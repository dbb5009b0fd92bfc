import { describe, expect, it } from 'vitest';
import { resubscribeDelayMs } from '../src/lib/backoff';

describe('resubscribeDelayMs', () => {
  it('waits 1 s after the first error and doubles up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50].map(resubscribeDelayMs)).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000,
    ]);
  });
  it('treats nonsense counts as the first or the longest wait', () => {
    expect(resubscribeDelayMs(0)).toBe(1000);
    expect(resubscribeDelayMs(-3)).toBe(1000);
    expect(resubscribeDelayMs(Number.POSITIVE_INFINITY)).toBe(30000);
    expect(resubscribeDelayMs(Number.NaN)).toBe(30000);
  });
});
