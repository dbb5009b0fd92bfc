import { describe, expect, it } from 'vitest';
import { catchUpDelayMs, CATCH_UP_ATTEMPTS } from '../src/lib/backoff';
import { viewLag, type LiveFacts, type ViewFacts } from '../src/lib/viewLag';

const running: ViewFacts = { status: 'RUNNING', streamStatus: 'open', hasEvidence: false };
const quiet: LiveFacts = { status: null, closed: false };

describe('viewLag', () => {
  it('is caught up while nothing happened live and the job runs', () => {
    expect(viewLag(running, quiet)).toBeNull();
  });
  it('waits for a status the live feed announced', () => {
    expect(viewLag(running, { status: 'CANCELLED', closed: false })).toBe('status');
  });
  it('does not wait for a live status the view has already passed', () => {
    // A late `RUNNING` update after the view read the end: the end stands.
    const ended: ViewFacts = { status: 'CANCELLED', streamStatus: 'closed', hasEvidence: true };
    expect(viewLag(ended, { status: 'RUNNING', closed: false })).toBeNull();
  });
  it('waits for the close the live feed announced', () => {
    const cancelled: ViewFacts = { status: 'CANCELLED', streamStatus: 'open', hasEvidence: true };
    expect(viewLag(cancelled, { status: 'CANCELLED', closed: true })).toBe('close');
  });
  it('waits for the evidence of an ended job, which comes with no live update', () => {
    const cancelled: ViewFacts = { status: 'CANCELLED', streamStatus: 'closed', hasEvidence: false };
    expect(viewLag(cancelled, { status: 'CANCELLED', closed: true })).toBe('evidence');
    expect(viewLag({ ...cancelled, status: 'COMPLETED' }, quiet)).toBe('evidence');
    expect(viewLag({ ...cancelled, hasEvidence: true }, { status: 'CANCELLED', closed: true })).toBeNull();
  });
  it('does not wait for evidence while the job runs', () => {
    expect(viewLag({ ...running, streamStatus: null }, quiet)).toBeNull();
  });
});

describe('catchUpDelayMs', () => {
  it('asks again after 1 s, doubling up to 15 s', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map(catchUpDelayMs)).toEqual([1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  });
  it('treats nonsense counts as the first or the longest wait', () => {
    expect(catchUpDelayMs(0)).toBe(1000);
    expect(catchUpDelayMs(Number.NaN)).toBe(15000);
  });
  it('gives up after about ten minutes', () => {
    let total = 0;
    for (let a = 1; a <= CATCH_UP_ATTEMPTS; a += 1) total += catchUpDelayMs(a);
    expect(total).toBeGreaterThanOrEqual(9 * 60_000);
    expect(total).toBeLessThanOrEqual(11 * 60_000);
  });
});
