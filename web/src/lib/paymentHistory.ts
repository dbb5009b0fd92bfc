/**
 * The payment chart's data: the stream's history first (the accrual series, the on-chain
 * settlements, the current totals), then every subscription update on top. The chart never
 * starts from zero at the moment the page opened.
 */
import { maxBig, minBig, octas } from './amount';
import { timeMs } from './format';
import type { PaymentStream, PaymentStreamUpdate, SeriesPoint, StreamSettlement } from './queries';

export interface PaymentPoint {
  t: number;
  accrued: bigint;
  vouchered: bigint;
  settled: bigint;
  refunded: bigint;
}

interface Step {
  t: number;
  key: keyof Omit<PaymentPoint, 't'>;
  value: bigint;
}

/** The history of a stream as chart points, one per instant something changed. */
export function historyPoints(
  stream: PaymentStream,
  /** Null for a visitor who is not a party (the series is private): no accrual steps. */
  series: readonly SeriesPoint[] | null,
  settlements: readonly StreamSettlement[],
  bucketSecs: number,
  nowMs: number,
): PaymentPoint[] {
  const escrow = octas(stream.escrow);
  const opened = timeMs(stream.openedAt) ?? nowMs;
  const steps: Step[] = [];
  let cum = 0n;
  const buckets = [...(series ?? [])].sort((a, b) => (timeMs(a.at) ?? 0) - (timeMs(b.at) ?? 0));
  for (const b of buckets) {
    cum += octas(b.amount);
    const end = Math.min((timeMs(b.at) ?? opened) + bucketSecs * 1000, nowMs);
    steps.push({ t: Math.max(end, opened), key: 'accrued', value: minBig(cum, escrow) });
  }
  for (const s of settlements) {
    const t = timeMs(s.settledAt) ?? nowMs;
    steps.push({ t, key: 'settled', value: octas(s.paidTotal) });
    // A redeemed voucher was signed no later than its redemption.
    steps.push({ t, key: 'vouchered', value: octas(s.cumulativeAmount) });
  }
  const closed = timeMs(stream.closedAt);
  const end = closed ?? nowMs;
  steps.push({ t: end, key: 'accrued', value: octas(stream.accrued) });
  steps.push({ t: end, key: 'vouchered', value: octas(stream.vouchered) });
  steps.push({ t: end, key: 'settled', value: octas(stream.settled) });
  steps.push({ t: end, key: 'refunded', value: octas(stream.refunded) });
  steps.sort((a, b) => a.t - b.t);

  const out: PaymentPoint[] = [{ t: opened, accrued: 0n, vouchered: 0n, settled: 0n, refunded: 0n }];
  for (const s of steps) {
    const last = out[out.length - 1] as PaymentPoint;
    const next: PaymentPoint = s.t === last.t ? last : { ...last, t: s.t };
    // Cumulative amounts only grow (refunds are set once, at the close).
    next[s.key] = s.key === 'refunded' ? s.value : maxBig(next[s.key], s.value);
    if (next !== last) out.push(next);
  }
  return out;
}

/** One subscription update applied on top of the points (kept in time order, monotonic). */
export function applyUpdate(points: PaymentPoint[], u: PaymentStreamUpdate): PaymentPoint[] {
  const t = Number(u.atMs);
  const last = points[points.length - 1];
  const p: PaymentPoint = {
    t: last && t < last.t ? last.t : t,
    accrued: octas(u.accrued),
    vouchered: octas(u.vouchered),
    settled: octas(u.settled),
    refunded: octas(u.refunded),
  };
  if (last) {
    p.accrued = maxBig(p.accrued, last.accrued);
    p.vouchered = maxBig(p.vouchered, last.vouchered);
    p.settled = maxBig(p.settled, last.settled);
    p.refunded = maxBig(p.refunded, last.refunded);
  }
  if (last && last.t === p.t) return [...points.slice(0, -1), p];
  return [...points, p];
}

/** A bucket width that keeps a stream's series to a few hundred points. */
export function bucketFor(fromMs: number, toMs: number, maxPoints = 300): number {
  const secs = Math.max(1, Math.ceil((toMs - fromMs) / 1000));
  return Math.min(86_400, Math.max(1, Math.ceil(secs / maxPoints)));
}
