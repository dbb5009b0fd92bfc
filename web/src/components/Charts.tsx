'use client';

import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

import { chartScale, formatMoveNumber, maxBig, octas, scaledToOctas, toChartUnits } from '@/lib/amount';
import { formatClock, timeMs } from '@/lib/format';
import type { PaymentPoint } from '@/lib/paymentHistory';
import type { SeriesPoint } from '@/lib/queries';

/**
 * Amounts stay BigInt; a chart plots them as exact integers of a power-of-ten unit
 * (`chartScale`), and every label is formatted back from BigInt.
 */
function moveLabel(units: number, scale: bigint): string {
  return formatMoveNumber(scaledToOctas(units, scale));
}

export function EarningsChart({
  points,
  bucketLabel,
  testId,
}: {
  points: SeriesPoint[];
  bucketLabel: (ms: number) => string;
  testId?: string;
}) {
  const max = points.reduce((m, p) => maxBig(m, octas(p.amount)), 0n);
  const scale = chartScale(max);
  const data = points.map((p) => ({
    t: timeMs(p.at) ?? 0,
    amount: toChartUnits(octas(p.amount), scale),
    octas: p.amount,
    seconds: p.seconds,
  }));
  if (data.length === 0) {
    return (
      <div className="flex h-48 items-center justify-center text-sm text-slate-400" data-testid={testId}>
        No earnings in this range yet.
      </div>
    );
  }
  return (
    <div className="h-56" data-testid={testId}>
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="t" tickFormatter={(v: number) => bucketLabel(v)} fontSize={11} />
          <YAxis allowDecimals={false} tickFormatter={(v: number) => moveLabel(v, scale)} width={96} fontSize={11} />
          <Tooltip
            labelFormatter={(v) => bucketLabel(Number(v))}
            formatter={(_v, _n, item) => {
              const p = item.payload as { octas: string; seconds: number };
              return [`${formatMoveNumber(p.octas)} MOVE (${p.seconds} s served)`, 'earned'];
            }}
          />
          <Bar dataKey="amount" fill="#4f46e5" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}

export type { PaymentPoint };

const SERIES = [
  { key: 'accrued', name: 'accrued (metered)', color: '#0ea5e9' },
  { key: 'vouchered', name: 'vouchered (signed)', color: '#8b5cf6' },
  { key: 'settled', name: 'settled on chain', color: '#10b981' },
  { key: 'refunded', name: 'refunded', color: '#f59e0b' },
] as const;

export function PaymentChart({ points }: { points: PaymentPoint[] }) {
  // Payments on the left axis; the refund (most of the escrow, at the close) on its own axis,
  // so that it does not flatten the per-second lines.
  const max = points.reduce((m, p) => maxBig(m, maxBig(maxBig(p.accrued, p.vouchered), p.settled)), 0n);
  const maxRefund = points.reduce((m, p) => maxBig(m, p.refunded), 0n);
  const scale = chartScale(max);
  const refundScale = chartScale(maxRefund);
  // Steps are drawn after each point: repeat the last one a second later so that its values
  // (the refund at the close, the newest second) are visible.
  const last = points[points.length - 1];
  const shown = last ? [...points, { ...last, t: last.t + 1000 }] : points;
  const data = shown.map((p) => ({
    t: p.t,
    accrued: toChartUnits(p.accrued, scale),
    vouchered: toChartUnits(p.vouchered, scale),
    settled: toChartUnits(p.settled, scale),
    refunded: toChartUnits(p.refunded, refundScale),
    raw: p,
  }));
  if (data.length === 0) {
    return <div className="flex h-72 items-center justify-center text-sm text-slate-400">No payments yet.</div>;
  }
  return (
    <div className="h-72" data-testid="payment-chart" data-points={points.length} data-max={max.toString()}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="t"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(v: number) => formatClock(v)}
            fontSize={11}
          />
          <YAxis yAxisId="paid" allowDecimals={false} tickFormatter={(v: number) => moveLabel(v, scale)} width={96} fontSize={11} />
          {maxRefund > 0n && (
            <YAxis
              yAxisId="refund"
              orientation="right"
              allowDecimals={false}
              tickFormatter={(v: number) => moveLabel(v, refundScale)}
              width={96}
              fontSize={11}
              stroke="#f59e0b"
            />
          )}
          <Tooltip
            labelFormatter={(v) => formatClock(Number(v))}
            formatter={(_v, name, item) => {
              const raw = (item.payload as { raw: PaymentPoint }).raw;
              const s = SERIES.find((x) => String(name).startsWith(x.name));
              const value = s ? raw[s.key] : 0n;
              return [`${formatMoveNumber(value)} MOVE`, name];
            }}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {SERIES.filter((s) => s.key !== 'refunded' || maxRefund > 0n).map((s) => (
            <Line
              key={s.key}
              yAxisId={s.key === 'refunded' ? 'refund' : 'paid'}
              type="stepAfter"
              dataKey={s.key}
              name={s.key === 'refunded' ? `${s.name} (right axis)` : s.name}
              stroke={s.color}
              strokeWidth={2}
              dot={false}
              isAnimationActive={false}
            />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
