'use client';

// The job page's x402 payer: what this browser pays the provider's endpoint every second
// (lib/usePayer.ts does the paying; this shows its state and its two controls).

import { Amount } from '@/components/Amount';
import { ErrorBox } from '@/components/ErrorBox';
import { formatClock } from '@/lib/format';
import type { PayerState } from '@/lib/x402';

export function PayerPanel({
  state,
  endpoint,
  endpointError,
  hasKey,
  active,
  paying,
  setPaying,
  lead,
  setLead,
  otherTab,
}: {
  state: PayerState | null;
  endpoint: string | null;
  endpointError: unknown;
  hasKey: boolean;
  active: boolean;
  paying: boolean;
  setPaying: (v: boolean) => void;
  lead: string;
  setLead: (v: string) => void;
  otherTab: boolean;
}) {
  const phaseText: Record<string, string> = {
    starting: 'starting',
    paying: 'paying every second',
    waiting: 'paid ahead; waiting for the provider to serve',
    provider_not_ready: 'the provider has not opened this job yet',
    escrow_exhausted: 'the escrow is used up: top it up to keep the job running',
    retrying: 'retrying',
    finished: 'the job ended',
    closed: 'the stream is closed',
    stopped: 'stopped',
  };
  return (
    <div className="card space-y-3" data-testid="payer" data-phase={state?.phase ?? 'idle'} data-charged={state?.charged.toString() ?? '0'}>
      <div className="flex items-center justify-between">
        <h3 className="font-semibold">x402 payments from this page</h3>
        {active && hasKey && endpoint && (
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={paying} onChange={(e) => setPaying(e.target.checked)} data-testid="pay-toggle" />
            pay every second
          </label>
        )}
      </div>
      {!hasKey && (
        <p className="text-sm text-slate-500">
          This browser does not hold this job&apos;s voucher key (it was created elsewhere), so it cannot pay for it.
        </p>
      )}
      {hasKey && !endpoint && (
        <div className="text-sm text-amber-800">
          The provider publishes no x402 endpoint.
          {endpointError ? <ErrorBox error={endpointError} /> : null}
        </div>
      )}
      {otherTab && <p className="text-sm text-amber-800">Another tab of this browser is paying for this job.</p>}
      {endpoint && (
        <p className="truncate text-xs text-slate-500" title={endpoint}>
          endpoint <span className="font-mono">{endpoint}</span>
        </p>
      )}
      {state && (
        <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-3">
          <div>
            <dt className="stat-label">State</dt>
            <dd data-testid="payer-phase">{phaseText[state.phase] ?? state.phase}</dd>
          </div>
          <div>
            <dt className="stat-label">Charged (voucher held)</dt>
            <dd>
              <Amount octas={state.charged} testId="payer-charged" />
            </dd>
          </div>
          <div>
            <dt className="stat-label">Seconds served / paid</dt>
            <dd className="font-mono">
              {state.servedSeconds?.toString() ?? '—'} / {state.paidSeconds?.toString() ?? '—'}
            </dd>
          </div>
          <div>
            <dt className="stat-label">Vouchers signed</dt>
            <dd className="font-mono" data-testid="payer-vouchers">
              {state.vouchers}
            </dd>
          </div>
          <div>
            <dt className="stat-label">Requests</dt>
            <dd className="font-mono">{state.requests}</dd>
          </div>
          <div>
            <dt className="stat-label">Last paid</dt>
            <dd>{state.lastPaidAtMs ? formatClock(state.lastPaidAtMs) : '—'}</dd>
          </div>
        </dl>
      )}
      {state?.lastReason && (
        <p className="text-xs text-amber-800" data-testid="payer-reason">
          last answer: <span className="font-mono">{state.lastReason}</span>
        </p>
      )}
      {active && hasKey && (
        <div className="flex items-center gap-2 text-xs text-slate-500">
          <label htmlFor="lead">pay ahead by</label>
          <input
            id="lead"
            className="input w-16 py-0.5"
            inputMode="numeric"
            value={lead}
            onChange={(e) => setLead(e.target.value.replace(/[^0-9]/g, ''))}
          />
          <span>second(s) of what was served</span>
        </div>
      )}
    </div>
  );
}
