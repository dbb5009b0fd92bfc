'use client';

import { useWallet } from '@aptos-labs/wallet-adapter-react';
import Link from 'next/link';
import { useCallback, useEffect, useMemo, useState } from 'react';

import { useApp } from '@/app/providers';
import { AccountPanel, RequireWallet } from '@/components/AccountPanel';
import { Address } from '@/components/Address';
import { Amount } from '@/components/Amount';
import { EarningsChart } from '@/components/Charts';
import { ErrorBox } from '@/components/ErrorBox';
import { Reputation } from '@/components/Reputation';
import { TxStatus } from '@/components/TxStatus';
import { AmountError, formatMove, octas, parseMove, parseWhole } from '@/lib/amount';
import { payloads } from '@/lib/chain';
import { ago, formatClock, formatTime, longAddress, sameAddress, statusColor } from '@/lib/format';
import { useNow, useQuery, useRefetchAfterWrite, useSubscription, useTransaction } from '@/lib/hooks';
import {
  PROVIDER_CONSOLE,
  SUB_AVAILABILITY,
  type AvailabilityUpdate,
  type ProviderConsoleData,
  type SeriesPoint,
} from '@/lib/queries';

const MIN_STAKE = 100_000_000n; // provider_registry::MIN_STAKE, 1 MOVE
const MAX_VRAM_GB = 1_048_576n;

function total(points: SeriesPoint[] | undefined): bigint {
  return (points ?? []).reduce((s, p) => s + octas(p.amount), 0n);
}


function RegisterForm({ onDone }: { onDone: () => void }) {
  const { config } = useApp();
  const tx = useTransaction();
  const [gpuType, setGpuType] = useState('NVIDIA A100');
  const [vram, setVram] = useState('80');
  const [price, setPrice] = useState('0.0001');
  const [stake, setStake] = useState('1');
  const [formError, setFormError] = useState<string | null>(null);

  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setFormError(null);
    let args: [string, bigint, bigint, bigint];
    try {
      const g = gpuType.trim();
      const bytes = new TextEncoder().encode(g).length;
      if (bytes === 0 || bytes > 64) throw new AmountError('E_BAD_GPU_TYPE: the GPU type must be 1 to 64 bytes');
      const v = parseWhole(vram, 'VRAM', MAX_VRAM_GB);
      if (v === 0n) throw new AmountError('E_ZERO_VRAM: VRAM must be at least 1 GB');
      const p = parseMove(price);
      if (p === 0n) throw new AmountError('E_ZERO_PRICE: the price must be above zero');
      const s = parseMove(stake);
      if (s < MIN_STAKE) throw new AmountError(`E_STAKE_TOO_LOW: the stake must be at least ${formatMove(MIN_STAKE)}`);
      args = [g, v, p, s];
    } catch (err) {
      setFormError(err instanceof Error ? err.message : String(err));
      return;
    }
    const done = await tx.run('Register', payloads.registerProvider(config, ...args));
    if (done) onDone();
  };

  return (
    <form onSubmit={submit} className="card space-y-4" data-testid="register-form">
      <div>
        <h2 className="text-lg font-semibold">List your GPU</h2>
        <p className="text-sm text-slate-500">
          One transaction registers the listing and locks the stake (at least 1 MOVE; it comes back when you unstake).
        </p>
      </div>
      <div className="grid grid-cols-1 gap-3 md:grid-cols-4">
        <div>
          <label className="label" htmlFor="gpuType">
            GPU type
          </label>
          <input id="gpuType" className="input" value={gpuType} onChange={(e) => setGpuType(e.target.value)} />
        </div>
        <div>
          <label className="label" htmlFor="vramGb">
            VRAM (GB)
          </label>
          <input id="vramGb" className="input" inputMode="numeric" value={vram} onChange={(e) => setVram(e.target.value)} />
        </div>
        <div>
          <label className="label" htmlFor="price">
            Price (MOVE / second)
          </label>
          <input id="price" className="input" inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} />
        </div>
        <div>
          <label className="label" htmlFor="stake">
            Stake (MOVE)
          </label>
          <input id="stake" className="input" inputMode="decimal" value={stake} onChange={(e) => setStake(e.target.value)} />
        </div>
      </div>
      {formError && <ErrorBox error={formError} />}
      <button type="submit" className="btn-primary" disabled={tx.busy} data-testid="register">
        Register provider
      </button>
      <TxStatus tx={tx} />
    </form>
  );
}

function Heartbeats({ address, last }: { address: string; last: string | null }) {
  const [beats, setBeats] = useState<AvailabilityUpdate[]>([]);
  const now = useNow(1000);
  const onData = useCallback(
    (d: { providerAvailability: AvailabilityUpdate }) => {
      const u = d.providerAvailability;
      if (sameAddress(u.provider, address)) setBeats((b) => [u, ...b].slice(0, 20));
    },
    [address],
  );
  const sub = useSubscription(SUB_AVAILABILITY, {}, onData);
  const newest = beats.find((b) => b.source === 'heartbeat');
  return (
    <div className="card" data-testid="heartbeats">
      <div className="flex items-center justify-between">
        <h3 className="font-semibold">Heartbeats</h3>
        <span className={`badge ${sub.error ? 'bg-rose-100 text-rose-700' : 'bg-emerald-100 text-emerald-700'}`}>
          {sub.error ? 'disconnected' : 'live'}
        </span>
      </div>
      <p className="mt-1 text-sm text-slate-600">
        Last heartbeat: {newest ? `${formatClock(Number(newest.atMs))} (${ago(Number(newest.atMs), now)})` : last ? `${formatTime(last)} (${ago(last, now)})` : 'none yet'}
      </p>
      <p className="text-xs text-slate-400">The executor agent on your GPU host sends them; they keep the listing available.</p>
      <ul className="mt-2 max-h-40 space-y-1 overflow-y-auto text-xs">
        {beats.map((b, i) => (
          <li key={`${b.atMs}-${i}`} className="flex gap-2 font-mono">
            <span className="text-slate-400">{formatClock(Number(b.atMs))}</span>
            <span>{b.source}</span>
            <span className={b.available ? 'text-emerald-700' : 'text-slate-500'}>{b.available ? 'available' : 'unavailable'}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Console({ address }: { address: string }) {
  const { config } = useApp();
  const tx = useTransaction();
  const [rangeTick, setRangeTick] = useState(0);
  const [newPrice, setNewPrice] = useState('');
  const [priceError, setPriceError] = useState<string | null>(null);
  const [confirmUnstake, setConfirmUnstake] = useState(false);

  useEffect(() => {
    const t = setInterval(() => setRangeTick((n) => n + 1), 15_000);
    return () => clearInterval(t);
  }, []);

  const variables = useMemo(() => {
    const now = Date.now();
    void rangeTick;
    return {
      address,
      minutes: { fromMs: String(now - 60 * 60_000), toMs: String(now + 60_000), bucketSecs: 60 },
      hours: { fromMs: String(now - 24 * 3_600_000), toMs: String(now + 60_000), bucketSecs: 3600 },
    };
  }, [address, rangeTick]);

  const { data, error, loading, refetch } = useQuery<ProviderConsoleData>(PROVIDER_CONSOLE, variables);
  const settle = useRefetchAfterWrite(refetch);
  const afterTx = settle;
  const p = data?.provider ?? null;

  if (loading && !data) return <p className="text-sm text-slate-500">Loading…</p>;
  if (error && !data) return <ErrorBox error={error} title="Could not load the provider" />;
  if (!p) return <RegisterForm onDone={afterTx} />;

  const changePrice = async (e: React.FormEvent) => {
    e.preventDefault();
    setPriceError(null);
    let v: bigint;
    try {
      v = parseMove(newPrice);
      if (v === 0n) throw new AmountError('E_ZERO_PRICE: the price must be above zero');
    } catch (err) {
      setPriceError(err instanceof Error ? err.message : String(err));
      return;
    }
    if (await tx.run('Change price', payloads.updatePrice(config, v))) {
      setNewPrice('');
      afterTx();
    }
  };

  const jobsServed = p.jobs.filter((j) => j.status !== 'PENDING');
  return (
    <div className="space-y-6">
      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <div className="card lg:col-span-2" data-testid="provider-card" data-active={p.isActive}>
          <div className="flex items-start justify-between">
            <div>
              <h2 className="text-lg font-semibold">
                {p.gpuType} · {p.vramGb} GB
              </h2>
              <p className="text-sm text-slate-500">Registered {formatTime(p.registeredAt)}</p>
            </div>
            <span
              className={`badge ${p.isActive ? 'bg-emerald-100 text-emerald-800' : 'bg-slate-200 text-slate-700'}`}
              data-testid="provider-status"
            >
              {p.isActive ? 'available' : 'unavailable'}
            </span>
          </div>
          <dl className="mt-4 grid grid-cols-2 gap-4 md:grid-cols-4">
            <div>
              <dt className="stat-label">Price / second</dt>
              <dd className="stat-value text-base">
                <Amount octas={p.pricePerSecond} />
              </dd>
            </div>
            <div>
              <dt className="stat-label">Price / hour</dt>
              <dd className="stat-value text-base">
                <Amount octas={octas(p.pricePerSecond) * 3600n} />
              </dd>
            </div>
            <div>
              <dt className="stat-label">Stake</dt>
              <dd className="stat-value text-base">
                <Amount octas={p.stake} />
              </dd>
            </div>
            <div>
              <dt className="stat-label">Jobs</dt>
              <dd className="stat-value text-base">
                {p.jobsCompleted} done · {p.jobsFailed} failed
              </dd>
            </div>
          </dl>
          <div className="mt-5 flex flex-wrap items-end gap-3 border-t border-slate-100 pt-4">
            <button
              type="button"
              className={p.isActive ? 'btn-secondary' : 'btn-primary'}
              disabled={tx.busy}
              data-testid="toggle-availability"
              onClick={async () => {
                if (await tx.run(p.isActive ? 'Go unavailable' : 'Go available', payloads.updateAvailability(config, !p.isActive))) afterTx();
              }}
            >
              {p.isActive ? 'Go unavailable' : 'Go available'}
            </button>
            <form onSubmit={changePrice} className="flex items-end gap-2">
              <div>
                <label className="label" htmlFor="newPrice">
                  New price (MOVE/s)
                </label>
                <input
                  id="newPrice"
                  className="input w-40"
                  inputMode="decimal"
                  value={newPrice}
                  placeholder={formatMove(p.pricePerSecond).replace(' MOVE', '')}
                  onChange={(e) => setNewPrice(e.target.value)}
                />
              </div>
              <button type="submit" className="btn-secondary" disabled={tx.busy || !newPrice}>
                Change price
              </button>
            </form>
            <div className="ml-auto">
              {confirmUnstake ? (
                <span className="flex items-center gap-2 text-sm">
                  Leave the market and take back <Amount octas={p.stake} />?
                  <button
                    type="button"
                    className="btn-danger"
                    disabled={tx.busy}
                    onClick={async () => {
                      setConfirmUnstake(false);
                      if (await tx.run('Unstake', payloads.unstake(config))) afterTx();
                    }}
                  >
                    Unstake
                  </button>
                  <button type="button" className="btn-secondary" onClick={() => setConfirmUnstake(false)}>
                    Keep
                  </button>
                </span>
              ) : (
                <button type="button" className="btn-secondary text-rose-700" onClick={() => setConfirmUnstake(true)}>
                  Unstake…
                </button>
              )}
            </div>
          </div>
          {priceError && <div className="mt-2"><ErrorBox error={priceError} /></div>}
          <TxStatus tx={tx} />
        </div>
        <div className="card">
          <h3 className="mb-2 font-semibold">Reputation</h3>
          <Reputation provider={p} />
        </div>
      </div>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
        <div className="card">
          <div className="flex items-baseline justify-between">
            <h3 className="font-semibold">Earnings per minute (last hour)</h3>
            <Amount octas={total(p.perMinute)} className="text-sm" testId="earnings-hour-total" />
          </div>
          <EarningsChart points={p.perMinute} bucketLabel={formatClock} testId="earnings-minute" />
        </div>
        <div className="card">
          <div className="flex items-baseline justify-between">
            <h3 className="font-semibold">Earnings per hour (last 24 h)</h3>
            <Amount octas={total(p.perHour)} className="text-sm" testId="earnings-day-total" />
          </div>
          <EarningsChart
            points={p.perHour}
            bucketLabel={(ms) => new Date(ms).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', hour12: false })}
            testId="earnings-hour"
          />
        </div>
      </div>

      <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
        <div className="card overflow-x-auto p-0 lg:col-span-2">
          <h3 className="px-5 pt-4 font-semibold">Jobs served ({jobsServed.length})</h3>
          <table className="mt-2 min-w-full divide-y divide-slate-100" data-testid="jobs-served">
            <thead className="bg-slate-50">
              <tr>
                <th className="th">Job</th>
                <th className="th">Status</th>
                <th className="th">Buyer</th>
                <th className="th">Image</th>
                <th className="th">Accrued</th>
                <th className="th">Settled</th>
                <th className="th">Created</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {p.jobs.map((j) => (
                <tr key={j.id}>
                  <td className="td">
                    <Link href={`/jobs/view/?id=${j.id}`} className="font-mono text-indigo-700 hover:underline">
                      #{j.id}
                    </Link>
                  </td>
                  <td className="td">
                    <span className={`badge ${statusColor(j.status)}`}>{j.status.toLowerCase()}</span>
                  </td>
                  <td className="td">
                    <Address address={j.buyer} />
                  </td>
                  <td className="td max-w-[14rem] truncate font-mono text-xs" title={j.dockerImage}>
                    {j.dockerImage}
                  </td>
                  <td className="td">
                    <Amount octas={j.stream?.accrued ?? null} />
                  </td>
                  <td className="td">
                    <Amount octas={j.stream?.settled ?? null} />
                  </td>
                  <td className="td text-xs text-slate-500">{formatTime(j.createdAt)}</td>
                </tr>
              ))}
              {p.jobs.length === 0 && (
                <tr>
                  <td colSpan={7} className="px-4 py-6 text-center text-sm text-slate-500">
                    No jobs yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <Heartbeats address={longAddress(p.address)} last={p.lastHeartbeatAt} />
      </div>
    </div>
  );
}

export default function ProviderPage() {
  const { account } = useWallet();
  const address = account ? longAddress(account.address.toString()) : null;
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Provider console</h1>
        <p className="text-sm text-slate-500">List a GPU, set its price and availability, and watch what it earns.</p>
      </div>
      <RequireWallet what="manage your GPU listing">
        {address && (
          <>
            <div className="card py-3">
              <AccountPanel />
            </div>
            <Console key={address} address={address} />
          </>
        )}
      </RequireWallet>
    </div>
  );
}
