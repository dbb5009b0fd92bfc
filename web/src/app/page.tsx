'use client';

import Link from 'next/link';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import { Address } from '@/components/Address';
import { Amount } from '@/components/Amount';
import { ErrorBox } from '@/components/ErrorBox';
import { Reputation } from '@/components/Reputation';
import { AmountError, octas, parseMove } from '@/lib/amount';
import { ago, longAddress } from '@/lib/format';
import { useNow, useQuery, useSubscription } from '@/lib/hooks';
import {
  MARKETPLACE,
  SUB_AVAILABILITY,
  type AvailabilityUpdate,
  type MarketplaceData,
  type ProviderOrder,
} from '@/lib/queries';

const PAGE_SIZE = 20;
/** When the list is asked again after an on-chain availability change (ms after the last one). */
const LIST_REFETCH_MS = [1500, 6000, 20_000];

interface Filters {
  gpuType: string;
  minVramGb: string;
  maxPrice: string;
  availableOnly: boolean;
}

function Stat({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="card py-3">
      <div className="stat-label">{label}</div>
      <div className="stat-value">{children}</div>
    </div>
  );
}

export default function MarketplacePage() {
  const [draft, setDraft] = useState<Filters>({ gpuType: '', minVramGb: '', maxPrice: '', availableOnly: true });
  const [filters, setFilters] = useState<Filters>(draft);
  const [order, setOrder] = useState<ProviderOrder>('PRICE_ASC');
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [filterError, setFilterError] = useState<string | null>(null);
  const [live, setLive] = useState<Record<string, AvailabilityUpdate>>({});
  const [pendingChanges, setPendingChanges] = useState(0);
  const now = useNow(5000);

  const variables = useMemo(() => {
    const filter: Record<string, unknown> = { available: filters.availableOnly };
    if (filters.gpuType.trim()) filter.gpuType = filters.gpuType.trim();
    if (filters.minVramGb.trim()) filter.minVramGb = Number.parseInt(filters.minVramGb, 10);
    if (filters.maxPrice.trim()) filter.maxPricePerSecond = parseMove(filters.maxPrice).toString();
    return { filter, order, first: PAGE_SIZE, after: cursors[cursors.length - 1] ?? null };
  }, [filters, order, cursors]);

  const { data, error, loading, refetch } = useQuery<MarketplaceData>(MARKETPLACE, variables);
  const refetchTimers = useRef<ReturnType<typeof setTimeout>[]>([]);
  useEffect(() => () => refetchTimers.current.forEach(clearTimeout), []);

  const onAvailability = useCallback(
    (d: { providerAvailability: AvailabilityUpdate }) => {
      const u = d.providerAvailability;
      setLive((m) => ({ ...m, [longAddress(u.provider)]: u }));
      if (u.source === 'availability') {
        // An on-chain change can move a provider in or out of the filtered list. The read
        // models trail the live feed (by seconds on a loaded machine): the list is asked
        // again a few times after the last change, not once.
        setPendingChanges((n) => n + 1);
        refetchTimers.current.forEach(clearTimeout);
        refetchTimers.current = LIST_REFETCH_MS.map((ms, i) =>
          setTimeout(() => {
            if (i === 0) setPendingChanges(0);
            refetch();
          }, ms),
        );
      }
    },
    [refetch],
  );
  const sub = useSubscription(SUB_AVAILABILITY, {}, onAvailability);

  const apply = (e: React.FormEvent) => {
    e.preventDefault();
    try {
      if (draft.maxPrice.trim()) parseMove(draft.maxPrice);
      if (draft.minVramGb.trim() && !/^\d+$/.test(draft.minVramGb.trim())) throw new AmountError('min VRAM must be a whole number of GB');
      setFilterError(null);
      setFilters(draft);
      setCursors([null]);
    } catch (err) {
      setFilterError(err instanceof Error ? err.message : String(err));
    }
  };

  const stats = data?.marketplaceStats;
  const providers = data?.providers.nodes ?? [];
  const page = cursors.length;

  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">GPU marketplace</h1>
        <p className="text-sm text-slate-500">Rent a GPU by the second. Pay every second over x402; unspent escrow comes back.</p>
      </div>

      {stats && (
        <div className="grid grid-cols-2 gap-3 md:grid-cols-5" data-testid="stats">
          <Stat label="Providers">
            {stats.activeProviders} / {stats.providers}
          </Stat>
          <Stat label="Running jobs">{stats.runningJobs}</Stat>
          <Stat label="Open streams">{stats.openStreams}</Stat>
          <Stat label="Settled">
            <Amount octas={stats.totalSettled} />
          </Stat>
          <Stat label="Refunded">
            <Amount octas={stats.totalRefunded} />
          </Stat>
        </div>
      )}

      <form onSubmit={apply} className="card grid grid-cols-2 items-end gap-3 md:grid-cols-6" data-testid="filters">
        <div>
          <label className="label" htmlFor="gpu">
            GPU type
          </label>
          <input
            id="gpu"
            className="input"
            placeholder="any"
            value={draft.gpuType}
            onChange={(e) => setDraft({ ...draft, gpuType: e.target.value })}
          />
        </div>
        <div>
          <label className="label" htmlFor="vram">
            Min VRAM (GB)
          </label>
          <input
            id="vram"
            className="input"
            inputMode="numeric"
            placeholder="0"
            value={draft.minVramGb}
            onChange={(e) => setDraft({ ...draft, minVramGb: e.target.value })}
          />
        </div>
        <div>
          <label className="label" htmlFor="maxprice">
            Max price (MOVE/s)
          </label>
          <input
            id="maxprice"
            className="input"
            inputMode="decimal"
            placeholder="any"
            value={draft.maxPrice}
            onChange={(e) => setDraft({ ...draft, maxPrice: e.target.value })}
          />
        </div>
        <div>
          <label className="label" htmlFor="order">
            Sort
          </label>
          <select
            id="order"
            className="input"
            value={order}
            onChange={(e) => {
              setOrder(e.target.value as ProviderOrder);
              setCursors([null]);
            }}
          >
            <option value="PRICE_ASC">Cheapest first</option>
            <option value="REPUTATION_DESC">Best reputation</option>
            <option value="VRAM_DESC">Most VRAM</option>
          </select>
        </div>
        <label className="flex items-center gap-2 pb-2 text-sm">
          <input
            type="checkbox"
            checked={draft.availableOnly}
            onChange={(e) => setDraft({ ...draft, availableOnly: e.target.checked })}
          />
          Available now
        </label>
        <button type="submit" className="btn-primary">
          Apply
        </button>
        {filterError && <p className="col-span-full text-sm text-rose-700">{filterError}</p>}
      </form>

      <ErrorBox error={error} title="Could not load providers" />

      <div className="card overflow-x-auto p-0">
        <div className="flex items-center justify-between border-b border-slate-100 px-4 py-2 text-xs text-slate-500">
          <span>
            {loading ? 'Loading…' : `${providers.length} provider${providers.length === 1 ? '' : 's'} on page ${page}`}
          </span>
          <span className="flex items-center gap-2" data-testid="live-status">
            <span className={`h-2 w-2 rounded-full ${sub.error ? 'bg-rose-500' : 'bg-emerald-500'}`} />
            {sub.error ? 'live updates disconnected' : 'live availability'}
            {pendingChanges > 0 && <span className="badge bg-amber-100 text-amber-800">{pendingChanges} change(s)…</span>}
          </span>
        </div>
        <table className="min-w-full divide-y divide-slate-100" data-testid="providers">
          <thead className="bg-slate-50">
            <tr>
              <th className="th">Provider</th>
              <th className="th">GPU</th>
              <th className="th">VRAM</th>
              <th className="th">Price / s</th>
              <th className="th">Price / h</th>
              <th className="th">Stake</th>
              <th className="th">Reputation</th>
              <th className="th">Availability</th>
              <th className="th" />
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {providers.map((p) => {
              const l = live[longAddress(p.address)];
              const available = l ? l.available : p.isActive;
              const heartbeat = l?.source === 'heartbeat' ? Number(l.atMs) : p.lastHeartbeatAt;
              return (
                <tr key={p.address} data-testid="provider-row" data-address={longAddress(p.address)}>
                  <td className="td">
                    <Address address={p.address} />
                  </td>
                  <td className="td font-medium">{p.gpuType}</td>
                  <td className="td">{p.vramGb} GB</td>
                  <td className="td">
                    <Amount octas={p.pricePerSecond} />
                  </td>
                  <td className="td">
                    <Amount octas={(octas(p.pricePerSecond) * 3600n).toString()} />
                  </td>
                  <td className="td">
                    <Amount octas={p.stake} />
                  </td>
                  <td className="td align-top">
                    <Reputation provider={p} compact />
                  </td>
                  <td className="td">
                    <span className="flex items-center gap-2" data-testid="availability" data-available={available}>
                      <span className={`h-2 w-2 rounded-full ${available ? 'bg-emerald-500' : 'bg-slate-300'}`} />
                      {available ? 'available' : 'busy / off'}
                    </span>
                    <span className="text-xs text-slate-400">heartbeat {ago(heartbeat, now)}</span>
                  </td>
                  <td className="td text-right">
                    {available ? (
                      <Link
                        href={`/jobs/new/?provider=${longAddress(p.address)}`}
                        className="btn-primary"
                        data-testid="rent"
                      >
                        Rent
                      </Link>
                    ) : (
                      <span className="text-xs text-slate-400">—</span>
                    )}
                  </td>
                </tr>
              );
            })}
            {!loading && providers.length === 0 && (
              <tr>
                <td colSpan={9} className="px-4 py-8 text-center text-sm text-slate-500">
                  No provider matches these filters.
                </td>
              </tr>
            )}
          </tbody>
        </table>
        <div className="flex items-center justify-between border-t border-slate-100 px-4 py-2">
          <button
            type="button"
            className="btn-secondary"
            disabled={cursors.length <= 1}
            onClick={() => setCursors((c) => c.slice(0, -1))}
          >
            ← Previous
          </button>
          <span className="text-xs text-slate-500">Page {page}</span>
          <button
            type="button"
            className="btn-secondary"
            disabled={!data?.providers.pageInfo.hasNextPage}
            onClick={() => {
              const next = data?.providers.pageInfo.endCursor ?? null;
              if (next) setCursors((c) => [...c, next]);
            }}
          >
            Next →
          </button>
        </div>
      </div>
      <p className="text-xs text-slate-400">
        Have a GPU? Open the <Link href="/provider/" className="underline">provider console</Link> to list a GPU.
      </p>
    </div>
  );
}
