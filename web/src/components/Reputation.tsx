import { bpsPercent, reputationBreakdown } from '@/lib/reputation';
import type { ProviderSummary } from '@/lib/queries';

function Bar({ label, bps, weight, derived }: { label: string; bps: number; weight: number; derived?: boolean }) {
  return (
    <div className="flex items-center gap-2 text-xs">
      <span className="w-24 text-slate-500">
        {label} ×{weight}
        {derived ? '*' : ''}
      </span>
      <span className="h-1.5 w-24 overflow-hidden rounded bg-slate-200">
        <span className="block h-full bg-indigo-500" style={{ width: `${Math.min(100, bps / 100)}%` }} />
      </span>
      <span className="font-mono">{bpsPercent(bps)}</span>
    </div>
  );
}

/** Reputation with its breakdown (docs/ANALYTICS.md). */
export function Reputation({ provider, compact = false }: { provider: ProviderSummary; compact?: boolean }) {
  const r = reputationBreakdown(provider);
  const color = r.totalBps >= 8000 ? 'text-emerald-700' : r.totalBps >= 5000 ? 'text-amber-700' : 'text-rose-700';
  const details = (
    <div className="space-y-1">
      <Bar label="completion" bps={r.completionBps} weight={5} />
      <Bar label="uptime 24h" bps={r.uptimeBps} weight={3} derived />
      <Bar label="stake" bps={r.stakeBps} weight={2} />
      <p className="text-[10px] text-slate-400">
        {provider.jobsCompleted} completed · {provider.jobsFailed} failed · *uptime derived from the total
      </p>
    </div>
  );
  if (compact) {
    return (
      <details className="group">
        <summary className={`cursor-pointer list-none font-mono text-sm font-semibold ${color}`} data-testid="reputation">
          {bpsPercent(r.totalBps)} <span className="text-xs text-slate-400 group-open:hidden">▸</span>
        </summary>
        <div className="mt-1 rounded-lg border border-slate-200 bg-white p-2 shadow-sm">{details}</div>
      </details>
    );
  }
  return (
    <div>
      <div className={`font-mono text-2xl font-semibold ${color}`}>{bpsPercent(r.totalBps)}</div>
      <div className="mt-2">{details}</div>
    </div>
  );
}
