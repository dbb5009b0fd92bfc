import { describe, expect, it } from 'vitest';

import { applyUpdate, bucketFor, historyPoints } from '@/lib/paymentHistory';
import type { PaymentStream } from '@/lib/queries';

const stream: PaymentStream = {
  jobId: '5',
  ratePerSecond: '100',
  escrow: '100000',
  attestedSeconds: '30',
  vouchered: '3200',
  accrued: '3000',
  settled: '2000',
  refunded: '0',
  remaining: '98000',
  status: 'open',
  openedAt: '2026-01-01T00:00:00.000Z',
  closedAt: null,
};
const t0 = Date.parse(stream.openedAt);

describe('payment history', () => {
  it('shows a visitor who is not a party the settlements only (private series and totals are null)', () => {
    const visitor: PaymentStream = { ...stream, accrued: null, vouchered: null, attestedSeconds: null };
    const pts = historyPoints(
      visitor,
      null,
      [{ version: '77', cumulativeAmount: '2100', paidNow: '2000', paidTotal: '2000', settledAt: '2026-01-01T00:00:21.000Z' }],
      10,
      t0 + 31_000,
    );
    const last = pts[pts.length - 1]!;
    expect(last).toMatchObject({ accrued: 0n, settled: 2000n, refunded: 0n });
  });

  it('starts from the stream history, not from zero at page load', () => {
    const pts = historyPoints(
      stream,
      [
        { at: '2026-01-01T00:00:00Z', seconds: 10, amount: '1000' },
        { at: '2026-01-01T00:00:10Z', seconds: 10, amount: '1000' },
        { at: '2026-01-01T00:00:20Z', seconds: 10, amount: '1000' },
      ],
      [{ version: '77', cumulativeAmount: '2100', paidNow: '2000', paidTotal: '2000', settledAt: '2026-01-01T00:00:21.000Z' }],
      10,
      t0 + 31_000,
    );
    expect(pts[0]).toEqual({ t: t0, accrued: 0n, vouchered: 0n, settled: 0n, refunded: 0n });
    const last = pts[pts.length - 1]!;
    expect(last).toMatchObject({ accrued: 3000n, vouchered: 3200n, settled: 2000n, refunded: 0n });
    const at20 = pts.find((p) => p.t === t0 + 20_000)!;
    expect(at20.accrued).toBe(2000n);
    const atSettle = pts.find((p) => p.t === t0 + 21_000)!;
    expect(atSettle.settled).toBe(2000n);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.t >= pts[i - 1]!.t).toBe(true);
  });

  it('applies updates on top, monotonic and in time order', () => {
    let pts = historyPoints(stream, [], [], 60, t0 + 31_000);
    pts = applyUpdate(pts, { kind: 'tick', jobId: '5', attestedSeconds: '31', accrued: '3100', vouchered: '3200', settled: '2000', refunded: '0', atMs: String(t0 + 32_000) });
    // An update that arrives late never moves a total back.
    pts = applyUpdate(pts, { kind: 'voucher', jobId: '5', attestedSeconds: '30', accrued: '3000', vouchered: '3300', settled: '2000', refunded: '0', atMs: String(t0 + 31_500) });
    const last = pts[pts.length - 1]!;
    expect(last.accrued).toBe(3100n);
    expect(last.vouchered).toBe(3300n);
    expect(last.t).toBe(t0 + 32_000);
  });

  it('chooses a bucket for a few hundred points', () => {
    expect(bucketFor(0, 60_000)).toBe(1);
    expect(bucketFor(0, 3_600_000)).toBe(12);
  });
});
