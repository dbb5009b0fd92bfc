'use client';

// The job page: its sections share the job's state (payer, stream history, live updates);
// the parts that stand alone are components (PayerPanel, JobOutput, the chart).

import { useWallet } from '@aptos-labs/wallet-adapter-react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { useApp } from '@/app/providers';
import { RequireWallet } from '@/components/AccountPanel';
import { Address, TxLink } from '@/components/Address';
import { Amount } from '@/components/Amount';
import { PaymentChart } from '@/components/Charts';
import { ErrorBox } from '@/components/ErrorBox';
import { JobOutput } from '@/components/JobOutput';
import { PayerPanel } from '@/components/PayerPanel';
import { TxStatus } from '@/components/TxStatus';
import { parseMove } from '@/lib/amount';
import { hashOfVersion, jobIdFromTransaction, makeAptos, payloads } from '@/lib/chain';
import { formatClock, formatDuration, formatTime, longAddress, sameAddress, statusColor, timeMs } from '@/lib/format';
import { useQuery, useRefetchAfterWrite, useRefetchWhile, useSubscription, useTransaction } from '@/lib/hooks';
import { applyUpdate, bucketFor, historyPoints, type PaymentPoint } from '@/lib/paymentHistory';
import {
  JOB_BRIEF,
  JOB_VIEW,
  MY_JOBS,
  PROVIDER_ENDPOINT,
  SUB_JOB_STATUS,
  SUB_PAYMENT_STREAM,
  type JobBriefData,
  type JobStatusUpdate,
  type JobViewData,
  type MyJobsData,
  type PaymentStreamUpdate,
  type ProviderEndpointData,
} from '@/lib/queries';
import { loadJobKey, pendingKeys, saveJobKey } from '@/lib/sessionKeys';
import { usePayer } from '@/lib/usePayer';
import { viewLag } from '@/lib/viewLag';

const ACTIVE = new Set(['PENDING', 'RUNNING']);

function Timeline({
  job,
  updates,
}: {
  job: NonNullable<JobViewData['job']>;
  updates: JobStatusUpdate[];
}) {
  const steps: { label: string; at: string | null; done: boolean; tone?: string }[] = [
    { label: 'created · escrow locked · stream opened', at: job.createdAt, done: true },
    { label: 'running', at: job.startedAt, done: job.startedAt !== null || job.status !== 'PENDING' },
    {
      label: ACTIVE.has(job.status) ? 'ends (completed / failed / cancelled)' : job.status.toLowerCase(),
      at: job.endedAt,
      done: !ACTIVE.has(job.status),
      tone: job.status === 'FAILED' ? 'bg-rose-500' : job.status === 'CANCELLED' ? 'bg-slate-500' : undefined,
    },
    {
      label: job.stream?.status === 'closed' ? 'stream closed · refund paid' : 'stream closes · refund',
      at: job.stream?.closedAt ?? null,
      done: job.stream?.status === 'closed',
    },
  ];
  return (
    <div>
      <ol className="space-y-3" data-testid="timeline">
        {steps.map((s) => (
          <li key={s.label} className="flex items-start gap-3">
            <span className={`mt-1 h-3 w-3 shrink-0 rounded-full ${s.done ? (s.tone ?? 'bg-indigo-600') : 'border-2 border-slate-300 bg-white'}`} />
            <div>
              <div className={`text-sm ${s.done ? 'font-medium' : 'text-slate-400'}`}>{s.label}</div>
              {s.at && <div className="text-xs text-slate-500">{formatTime(s.at)}</div>}
            </div>
          </li>
        ))}
      </ol>
      {job.reason && <p className="mt-3 text-sm text-slate-600">Reason: {job.reason}</p>}
      {job.exitCode !== null && <p className="text-sm text-slate-600">Exit code: {job.exitCode}</p>}
      {updates.length > 0 && (
        <ul className="mt-3 space-y-1 border-t border-slate-100 pt-2 text-xs" data-testid="status-updates">
          {updates.map((u, i) => (
            <li key={`${u.atMs}-${i}`} className="font-mono">
              <span className="text-slate-400">{formatClock(Number(u.atMs))}</span> {u.from} → {u.to}
              {u.reason && <span className="text-slate-500"> ({u.reason})</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Settlements({ items }: { items: NonNullable<NonNullable<JobViewData['job']>['stream']>['settlements'] }) {
  const { config } = useApp();
  const [hashes, setHashes] = useState<Record<string, string | null>>({});
  useEffect(() => {
    for (const s of items) {
      if (s.version in hashes) continue;
      setHashes((h) => ({ ...h, [s.version]: null }));
      void hashOfVersion(config, s.version).then((hash) => setHashes((h) => ({ ...h, [s.version]: hash })));
    }
  }, [items, config, hashes]);
  return (
    <div className="card overflow-x-auto p-0">
      <h3 className="px-5 pt-4 font-semibold">Settlements on chain ({items.length})</h3>
      <table className="mt-2 min-w-full divide-y divide-slate-100" data-testid="settlements">
        <thead className="bg-slate-50">
          <tr>
            <th className="th">Transaction</th>
            <th className="th">Voucher</th>
            <th className="th">Paid now</th>
            <th className="th">Paid total</th>
            <th className="th">At</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {items.map((s) => (
            <tr key={`${s.version}-${s.paidTotal}`}>
              <td className="td">
                {hashes[s.version] ? (
                  <TxLink hash={hashes[s.version] as string} />
                ) : (
                  <span className="font-mono text-xs">version {s.version}</span>
                )}
              </td>
              <td className="td">
                <Amount octas={s.cumulativeAmount} />
              </td>
              <td className="td">
                <Amount octas={s.paidNow} />
              </td>
              <td className="td">
                <Amount octas={s.paidTotal} />
              </td>
              <td className="td text-xs text-slate-500">{formatTime(s.settledAt)}</td>
            </tr>
          ))}
          {items.length === 0 && (
            <tr>
              <td colSpan={5} className="px-4 py-6 text-center text-sm text-slate-500">
                The settler redeems the newest voucher in batches; the first settlement appears here.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function JobView({ id }: { id: bigint }) {
  const { config } = useApp();
  const { account } = useWallet();
  const idStr = id.toString();
  const tx = useTransaction();
  const [now] = useState(() => Date.now());

  // 1. When the stream opened, to ask for its whole series. A job just created may not be
  // indexed yet: ask again every second until its stream is there.
  const [indexed, setIndexed] = useState(false);
  const brief = useQuery<JobBriefData>(JOB_BRIEF, { id: idStr }, { pollMs: indexed ? undefined : 1000 });
  useEffect(() => {
    if (brief.data?.job?.stream) setIndexed(true);
  }, [brief.data]);
  const openedMs = timeMs(brief.data?.job?.stream?.openedAt ?? brief.data?.job?.createdAt ?? null);
  const range = useMemo(() => {
    if (openedMs === null) return null;
    const to = Math.max(now, openedMs) + 60_000;
    const from = openedMs - 1000;
    return { fromMs: String(from), toMs: String(to), bucketSecs: bucketFor(from, to) };
  }, [openedMs, now]);

  // 2. The job, its stream's history and settlements.
  const view = useQuery<JobViewData>(JOB_VIEW, { id: idStr, range }, { skip: !indexed });
  const job = view.data?.job ?? null;
  const providerAddress = job?.providerAddress ?? brief.data?.job?.providerAddress ?? null;
  const endpointQ = useQuery<ProviderEndpointData>(
    PROVIDER_ENDPOINT,
    { address: providerAddress ? longAddress(providerAddress) : '' },
    { skip: !providerAddress },
  );
  const endpoint = endpointQ.data?.provider?.endpoint ?? null;

  // 3. Live: payment updates on top of the history, status changes. Subscribed once the job
  // is indexed: the gateway refuses a subscription to a job its read models do not hold yet.
  const [points, setPoints] = useState<PaymentPoint[] | null>(null);
  const buffered = useRef<PaymentStreamUpdate[]>([]);
  const [statusUpdates, setStatusUpdates] = useState<JobStatusUpdate[]>([]);
  const [liveStatus, setLiveStatus] = useState<string | null>(null);
  const [liveClosed, setLiveClosed] = useState(false);

  const historyKey = job?.stream ? `${job.stream.openedAt}|${range?.bucketSecs ?? 60}` : null;
  const seeded = useRef<string | null>(null);
  useEffect(() => {
    if (!job?.stream || !range || historyKey === null) return;
    if (seeded.current === historyKey) return;
    seeded.current = historyKey;
    let pts = historyPoints(job.stream, job.stream.series, job.stream.settlements, range.bucketSecs, Date.now());
    for (const u of buffered.current) pts = applyUpdate(pts, u);
    buffered.current = [];
    setPoints(pts);
  }, [job, range, historyKey]);

  const refetchView = view.refetch;
  const onPayment = useCallback(
    (d: { paymentStream: PaymentStreamUpdate }) => {
      const u = d.paymentStream;
      setPoints((p) => {
        if (p === null) {
          buffered.current.push(u);
          return p;
        }
        return applyUpdate(p, u);
      });
      if (u.kind === 'closed') setLiveClosed(true);
      if (u.kind === 'settled' || u.kind === 'closed') refetchView();
    },
    [refetchView],
  );
  const paySub = useSubscription(SUB_PAYMENT_STREAM, { jobId: idStr }, onPayment, { skip: !indexed });
  const onStatus = useCallback(
    (d: { jobStatus: JobStatusUpdate }) => {
      setStatusUpdates((s) => [...s, d.jobStatus]);
      setLiveStatus(d.jobStatus.to.toUpperCase());
      refetchView();
    },
    [refetchView],
  );
  useSubscription(SUB_JOB_STATUS, { jobId: idStr }, onStatus, { skip: !indexed });

  // The read models trail the live feed, and the provider's evidence comes with no live
  // update: ask again while the view lags what the page knows.
  const lag = job
    ? viewLag(
        { status: job.status, streamStatus: job.stream?.status ?? null, hasEvidence: job.evidence !== null },
        { status: liveStatus, closed: liveClosed },
      )
    : null;
  useRefetchWhile(lag, refetchView);
  const refetchAfterWrite = useRefetchAfterWrite(refetchView);

  // 4. Paying.
  const sessionKey = useMemo(() => loadJobKey(config.chainId, config.package, id), [config, id]);
  const status = liveStatus ?? job?.status ?? null;
  const active = status !== null && ACTIVE.has(status) && job?.stream?.status !== 'closed';
  const [paying, setPaying] = useState(true);
  const [lead, setLead] = useState('2');
  const statusRef = useRef(status);
  statusRef.current = status;
  const payer = usePayer({
    jobId: id,
    endpoint,
    sessionKey,
    enabled: paying && active && sessionKey !== null,
    leadSeconds: BigInt(lead === '' ? '0' : lead),
    shouldContinue: () => statusRef.current === null || ACTIVE.has(statusRef.current),
  });

  const [topUp, setTopUp] = useState('');
  const [topUpError, setTopUpError] = useState<string | null>(null);
  const isBuyer = account && job ? sameAddress(account.address.toString(), job.buyer) : false;

  // A visitor who is not the buyer or the provider does not see the metering (null fields).
  const privateTotals = job?.stream ? (job.stream.accrued ?? null) === null : false;

  if (brief.error && !brief.data) return <ErrorBox error={brief.error} title={`Could not load job #${idStr}`} />;
  if (brief.data && !indexed) {
    return (
      <p className="card text-sm text-slate-600" data-testid="job-waiting">
        {brief.data.job ? `Job #${idStr} is indexed; waiting for its payment stream…` : `No job #${idStr} yet: waiting for the indexer (a job created a moment ago appears within seconds)…`}
      </p>
    );
  }
  if (!job) return <p className="text-sm text-slate-500">Loading job #{idStr}…</p>;
  const stream = job.stream;
  const resource = payer.state?.resource ?? null;
  const outputCid = job.outputCid ?? resource?.outputCid ?? null;
  const outputUrl = job.outputUrl ?? resource?.outputUrl ?? null;

  const cancel = async () => {
    if (await tx.run('Cancel job', payloads.cancelJob(config, id))) {
      setPaying(false);
      payer.stop();
      refetchAfterWrite();
    }
  };

  const deposit = async (e: React.FormEvent) => {
    e.preventDefault();
    setTopUpError(null);
    let amount: bigint;
    try {
      amount = parseMove(topUp);
      if (amount === 0n) throw new Error('E_ZERO_AMOUNT: a deposit must be above zero');
    } catch (err) {
      setTopUpError(err instanceof Error ? err.message : String(err));
      return;
    }
    if (await tx.run('Top up escrow', payloads.deposit(config, id, amount))) {
      setTopUp('');
      refetchAfterWrite();
    }
  };

  const current = points && points.length > 0 ? points[points.length - 1] : null;
  return (
    <div className="space-y-6" data-testid="job-view" data-status={status ?? ''}>
      <div className="flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="flex items-center gap-3 text-2xl font-semibold">
            Job #{idStr}
            <span className={`badge text-sm ${statusColor(status ?? '')}`} data-testid="job-status">
              {(status ?? '').toLowerCase()}
            </span>
          </h1>
          <p className="mt-1 font-mono text-sm text-slate-600">{job.dockerImage}</p>
          <p className="mt-1 text-sm text-slate-500">
            provider <Address address={job.providerAddress} /> · buyer <Address address={job.buyer} />
          </p>
        </div>
        {isBuyer && active && (
          <button type="button" className="btn-danger" onClick={cancel} disabled={tx.busy} data-testid="cancel-job">
            Cancel job
          </button>
        )}
      </div>
      <TxStatus tx={tx} />

      <div className="grid grid-cols-2 gap-3 md:grid-cols-6" data-testid="stream-totals">
        {/* Accrued and vouchered are private to the buyer and the provider (null for others). */}
        {(
          [
            ['Rate / s', stream?.ratePerSecond],
            ['Escrow', stream?.escrow ?? job.escrowAmount],
            ['Accrued', privateTotals ? null : (current?.accrued ?? stream?.accrued)],
            ['Vouchered', privateTotals ? null : (current?.vouchered ?? stream?.vouchered)],
            ['Settled', current?.settled ?? stream?.settled],
            ['Refunded', current?.refunded ?? stream?.refunded],
          ] as const
        ).map(([label, v]) => (
          <div key={label} className="card py-3">
            <div className="stat-label">{label}</div>
            <div className="mt-1 text-sm font-semibold">
              <Amount octas={v ?? null} testId={`total-${label.toLowerCase().replace(/[^a-z]/g, '')}`} />
            </div>
          </div>
        ))}
      </div>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <div className="card lg:col-span-2">
          <div className="mb-2 flex items-center justify-between">
            <h3 className="font-semibold">Payment stream</h3>
            <span className="flex items-center gap-2 text-xs text-slate-500">
              <span className={`h-2 w-2 rounded-full ${paySub.error ? 'bg-rose-500' : 'bg-emerald-500'}`} />
              {stream
                ? `stream ${stream.status} · ${privateTotals ? 'metering private to the buyer and provider' : `${stream.attestedSeconds} s attested`} · max ${formatDuration(BigInt(job.maxDurationSecs))}`
                : 'no stream yet'}
            </span>
          </div>
          <PaymentChart points={points ?? []} />
        </div>
        <div className="card">
          <h3 className="mb-3 font-semibold">Status</h3>
          <Timeline job={{ ...job, status: (status ?? job.status) as typeof job.status }} updates={statusUpdates} />
        </div>
      </div>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <PayerPanel
          state={payer.state}
          endpoint={endpoint}
          endpointError={endpointQ.error}
          hasKey={sessionKey !== null}
          active={active}
          paying={paying}
          setPaying={setPaying}
          lead={lead}
          setLead={setLead}
          otherTab={payer.otherTab}
        />
        <div className="card space-y-3">
          <h3 className="font-semibold">Output</h3>
          <JobOutput
            jobId={job.id}
            outputCid={outputCid}
            outputUrl={outputUrl}
            evidence={job.evidence}
            closed={stream?.status === 'closed'}
            endpoint={endpoint}
            sessionKey={sessionKey}
          />
          {isBuyer && active && stream?.status !== 'closed' && (
            <form onSubmit={deposit} className="flex items-end gap-2 border-t border-slate-100 pt-3">
              <div>
                <label className="label" htmlFor="topup">
                  Top up escrow (MOVE)
                </label>
                <input id="topup" className="input w-40" inputMode="decimal" value={topUp} onChange={(e) => setTopUp(e.target.value)} />
              </div>
              <button type="submit" className="btn-secondary" disabled={tx.busy || !topUp} data-testid="top-up">
                Deposit
              </button>
            </form>
          )}
          {topUpError && <ErrorBox error={topUpError} />}
        </div>
      </div>

      <div className="card">
        <h3 className="mb-2 font-semibold">Logs</h3>
        <pre className="max-h-80 overflow-auto rounded-lg bg-slate-900 p-3 text-xs text-slate-100" data-testid="logs">
          {resource?.logs ? resource.logs : 'The latest logs come with each paid second.'}
        </pre>
      </div>

      {stream && <Settlements items={stream.settlements} />}
      <p className="text-xs text-slate-400">
        Accrued = seconds the provider metered × rate; vouchered = the newest amount this buyer signed; settled = paid to the
        provider on chain; refunded = returned to the buyer when the stream closed. Updated live.
      </p>
    </div>
  );
}

/** Jobs of the connected buyer, and keys of jobs whose page was closed before their id was known. */
function MyJobs() {
  const { config } = useApp();
  const { account } = useWallet();
  const buyer = account ? longAddress(account.address.toString()) : '';
  const { data, error, loading } = useQuery<MyJobsData>(MY_JOBS, { buyer, first: 50 }, { skip: !buyer, pollMs: 10_000 });
  const [recovered, setRecovered] = useState<string[]>([]);

  useEffect(() => {
    // Recover keys whose create_job committed while no page was there to read its job id.
    const aptos = makeAptos(config);
    for (const p of pendingKeys(config.chainId, config.package)) {
      if (!p.txHash) continue;
      void aptos
        .getTransactionByHash({ transactionHash: p.txHash })
        .then((tx) => {
          const id = jobIdFromTransaction(tx as { events?: { type: string; data: unknown }[] }, config.package);
          if (id !== null) {
            saveJobKey(config.chainId, config.package, id, p.key);
            setRecovered((r) => [...r, id.toString()]);
          }
        })
        .catch(() => undefined);
    }
  }, [config]);

  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">My jobs</h1>
      {recovered.length > 0 && (
        <p className="text-sm text-emerald-700">Recovered the voucher keys of job(s) {recovered.join(', ')}.</p>
      )}
      <RequireWallet what="see your jobs">
        <ErrorBox error={error} />
        <div className="card overflow-x-auto p-0">
          <table className="min-w-full divide-y divide-slate-100" data-testid="my-jobs">
            <thead className="bg-slate-50">
              <tr>
                <th className="th">Job</th>
                <th className="th">Status</th>
                <th className="th">Provider</th>
                <th className="th">Image</th>
                <th className="th">Escrow</th>
                <th className="th">Settled</th>
                <th className="th">Refunded</th>
                <th className="th">Created</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {(data?.jobs.nodes ?? []).map((j) => (
                <tr key={j.id}>
                  <td className="td">
                    <Link href={`/jobs/view/?id=${j.id}`} className="font-mono text-indigo-700 hover:underline">
                      #{j.id}
                    </Link>
                    {loadJobKey(config.chainId, config.package, BigInt(j.id)) && (
                      <span className="ml-2 badge bg-indigo-50 text-indigo-700" title="this browser holds the voucher key">
                        key
                      </span>
                    )}
                  </td>
                  <td className="td">
                    <span className={`badge ${statusColor(j.status)}`}>{j.status.toLowerCase()}</span>
                  </td>
                  <td className="td">
                    <Address address={j.providerAddress} />
                  </td>
                  <td className="td max-w-[14rem] truncate font-mono text-xs">{j.dockerImage}</td>
                  <td className="td">
                    <Amount octas={j.escrowAmount} />
                  </td>
                  <td className="td">
                    <Amount octas={j.stream?.settled ?? null} />
                  </td>
                  <td className="td">
                    <Amount octas={j.stream?.refunded ?? null} />
                  </td>
                  <td className="td text-xs text-slate-500">{formatTime(j.createdAt)}</td>
                </tr>
              ))}
              {!loading && (data?.jobs.nodes.length ?? 0) === 0 && (
                <tr>
                  <td colSpan={8} className="px-4 py-6 text-center text-sm text-slate-500">
                    No jobs yet. Rent a GPU on the <Link href="/" className="underline">marketplace</Link>.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </RequireWallet>
    </div>
  );
}

function JobPage() {
  const params = useSearchParams();
  const raw = params.get('id');
  if (!raw) return <MyJobs />;
  if (!/^\d+$/.test(raw)) return <ErrorBox error={`"${raw}" is not a job id`} />;
  return <JobView key={raw} id={BigInt(raw)} />;
}

export default function Page() {
  return (
    <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
      <JobPage />
    </Suspense>
  );
}
