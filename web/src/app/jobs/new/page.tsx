'use client';

import { useWallet } from '@aptos-labs/wallet-adapter-react';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useMemo, useState } from 'react';

import { useApp } from '@/app/providers';
import { AccountPanel, RequireWallet } from '@/components/AccountPanel';
import { Address } from '@/components/Address';
import { Amount } from '@/components/Amount';
import { ErrorBox } from '@/components/ErrorBox';
import { Reputation } from '@/components/Reputation';
import { TxStatus } from '@/components/TxStatus';
import { formatMoveNumber, minBig, octas, parseMove, parseWhole, U64_MAX } from '@/lib/amount';
import { jobIdFromTransaction, payloads } from '@/lib/chain';
import { formatDuration, longAddress, sameAddress } from '@/lib/format';
import { fromHex } from '@/lib/hex';
import { useQuery, useTransaction } from '@/lib/hooks';
import { PROVIDER_FOR_JOB, type ProviderForJobData, type ProviderSummary } from '@/lib/queries';
import {
  dropPendingKey,
  generateSessionKey,
  notePendingTx,
  publicKeyHex,
  saveJobKey,
  savePendingKey,
} from '@/lib/sessionKeys';

const MAX_DURATION_SECS = 31_536_000n; // job_registry::MAX_DURATION_SECS
const MAX_IMAGE_LEN = 256;

interface Terms {
  image: string;
  duration: bigint;
  escrow: bigint;
  price: bigint;
  maxCost: bigint;
  fullCost: bigint;
  coveredSecs: bigint;
}

/** The job's terms, checked as job_registry::create_job checks them, before signing. */
function checkTerms(p: ProviderSummary, buyer: string | null, image: string, durationIn: string, escrowIn: string): Terms | string {
  try {
    const img = image.trim();
    const len = new TextEncoder().encode(img).length;
    if (len === 0 || len > MAX_IMAGE_LEN) return 'E_BAD_IMAGE: the image reference must be 1 to 256 bytes';
    const duration = parseWhole(durationIn, 'the maximum duration');
    if (duration === 0n) return 'E_ZERO_DURATION: the maximum duration must be at least 1 second';
    if (duration > MAX_DURATION_SECS) return 'E_DURATION_TOO_LONG: the maximum duration is 365 days (31536000 s)';
    if (!p.isActive) return 'E_NOT_ACTIVE: the provider is not available for new jobs';
    if (buyer && sameAddress(buyer, p.address)) return 'E_SELF_DEALING: a buyer cannot hire itself';
    const price = octas(p.pricePerSecond);
    if (price > U64_MAX / duration) return "E_COST_OVERFLOW: price × duration does not fit in a u64";
    const escrow = parseMove(escrowIn);
    if (escrow < price) return "E_ESCROW_TOO_LOW: the escrow must cover at least one second at the provider's price";
    const fullCost = price * duration;
    return {
      image: img,
      duration,
      escrow,
      price,
      fullCost,
      maxCost: minBig(fullCost, escrow),
      coveredSecs: price === 0n ? 0n : escrow / price,
    };
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function NewJob({ provider }: { provider: ProviderSummary }) {
  const { config } = useApp();
  const { account } = useWallet();
  const router = useRouter();
  const tx = useTransaction();
  const [image, setImage] = useState('computestream/demo-job:latest');
  const [duration, setDuration] = useState('300');
  const [escrowEdited, setEscrowEdited] = useState<string | null>(null);
  const [stage, setStage] = useState<string | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const buyer = account?.address.toString() ?? null;

  const price = octas(provider.pricePerSecond);
  const defaultEscrow = useMemo(() => {
    try {
      const d = parseWhole(duration, 'duration');
      return d > 0n && price <= U64_MAX / d ? formatMoveNumber(price * d) : formatMoveNumber(price);
    } catch {
      return formatMoveNumber(price);
    }
  }, [duration, price]);
  const escrow = escrowEdited ?? defaultEscrow;
  const terms = checkTerms(provider, buyer, image, duration, escrow);

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    if (typeof terms === 'string') return;
    setFailure(null);
    // The session key: signs this job's vouchers, named in create_job, kept in this browser.
    const key = generateSessionKey();
    savePendingKey(config.chainId, config.package, key);
    setStage('Waiting for the wallet: one signature creates the job, locks the escrow and opens the stream.');
    const done = await tx.run(
      'Create job',
      payloads.createJob(config, longAddress(provider.address), terms.image, terms.duration, terms.escrow, fromHex(publicKeyHex(key))),
      (hash) => notePendingTx(config.chainId, config.package, key, hash),
    );
    if (!done) {
      dropPendingKey(config.chainId, config.package, key);
      setStage(null);
      return;
    }
    const id = jobIdFromTransaction(done as { events?: { type: string; data: unknown }[] }, config.package);
    if (id === null) {
      setStage(null);
      setFailure('The transaction committed without a JobCreated event of this package.');
      return;
    }
    saveJobKey(config.chainId, config.package, id, key);
    setStage(`Job #${id.toString()} created. Opening its page…`);
    router.push(`/jobs/view/?id=${id.toString()}`);
  };

  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-3">
      <form onSubmit={create} className="card space-y-4 lg:col-span-2" data-testid="new-job-form">
        <h2 className="text-lg font-semibold">Job</h2>
        <div>
          <label className="label" htmlFor="image">
            Container image
          </label>
          <input id="image" className="input font-mono" value={image} onChange={(e) => setImage(e.target.value)} />
        </div>
        <div className="grid grid-cols-1 gap-3 md:grid-cols-2">
          <div>
            <label className="label" htmlFor="duration">
              Maximum duration (seconds)
            </label>
            <input
              id="duration"
              className="input"
              inputMode="numeric"
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
            />
            <p className="mt-1 text-xs text-slate-400">
              {(() => {
                try {
                  return formatDuration(parseWhole(duration, 'duration'));
                } catch {
                  return '';
                }
              })()}
            </p>
          </div>
          <div>
            <label className="label" htmlFor="escrow">
              Escrow (MOVE)
            </label>
            <input
              id="escrow"
              className="input"
              inputMode="decimal"
              value={escrow}
              onChange={(e) => setEscrowEdited(e.target.value)}
            />
            <p className="mt-1 text-xs text-slate-400">
              Locked on chain now; what the job does not use comes back when its stream closes.
              {escrowEdited !== null && (
                <button type="button" className="ml-1 underline" onClick={() => setEscrowEdited(null)}>
                  price × duration
                </button>
              )}
            </p>
          </div>
        </div>

        <div className="rounded-lg bg-slate-50 p-4" data-testid="cost-summary">
          <h3 className="mb-2 text-sm font-semibold">Before you sign</h3>
          {typeof terms === 'string' ? (
            <ErrorBox error={terms} />
          ) : (
            <dl className="grid grid-cols-2 gap-3 text-sm md:grid-cols-4">
              <div>
                <dt className="stat-label">Cost per second</dt>
                <dd className="mt-1">
                  <Amount octas={terms.price} testId="cost-per-second" />
                </dd>
              </div>
              <div>
                <dt className="stat-label">Cost per hour</dt>
                <dd className="mt-1">
                  <Amount octas={terms.price * 3600n} />
                </dd>
              </div>
              <div>
                <dt className="stat-label">Maximum cost</dt>
                <dd className="mt-1 font-semibold">
                  <Amount octas={terms.maxCost} testId="max-cost" />
                </dd>
                <dd className="text-xs text-slate-400">
                  {terms.escrow < terms.fullCost ? 'capped by the escrow' : 'price × maximum duration'}
                </dd>
              </div>
              <div>
                <dt className="stat-label">Escrow covers</dt>
                <dd className="mt-1">{formatDuration(minBig(terms.coveredSecs, terms.duration))}</dd>
                <dd className="text-xs text-slate-400">of {formatDuration(terms.duration)}</dd>
              </div>
            </dl>
          )}
          <p className="mt-3 text-xs text-slate-500">
            You sign one transaction (<span className="font-mono">job_registry::create_job</span>). This page then pays
            the provider every second with vouchers signed by a key it keeps for this job alone — no more wallet prompts.
            Keep the job page open while the job runs.
          </p>
        </div>

        <button type="submit" className="btn-primary" disabled={typeof terms === 'string' || tx.busy} data-testid="create-job">
          Create job and lock <Amount octas={typeof terms === 'string' ? null : terms.escrow} />
        </button>
        {stage && <p className="text-sm text-slate-600">{stage}</p>}
        <TxStatus tx={tx} />
        <ErrorBox error={failure} />
      </form>

      <div className="card space-y-3">
        <h2 className="text-lg font-semibold">Provider</h2>
        <Address address={provider.address} />
        <div className="text-sm">
          <div className="font-medium">{provider.gpuType}</div>
          <div className="text-slate-500">{provider.vramGb} GB VRAM</div>
        </div>
        <div>
          <span className="stat-label mr-2">Price</span>
          <Amount octas={provider.pricePerSecond} /> / s
        </div>
        <Reputation provider={provider} />
        {!provider.isActive && <p className="text-sm text-rose-700">This provider is not available right now.</p>}
      </div>
    </div>
  );
}

function NewJobPage() {
  const params = useSearchParams();
  const raw = params.get('provider') ?? '';
  const address = raw ? longAddress(raw) : '';
  const { data, error, loading } = useQuery<ProviderForJobData>(PROVIDER_FOR_JOB, { address }, { skip: !address });
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">Rent a GPU</h1>
        <p className="text-sm text-slate-500">Create a job, lock its escrow, and pay per second while it runs.</p>
      </div>
      {!address && (
        <p className="card text-sm">
          Choose a provider on the <Link href="/" className="text-indigo-700 underline">marketplace</Link>.
        </p>
      )}
      <ErrorBox error={error} title="Could not load the provider" />
      {loading && <p className="text-sm text-slate-500">Loading…</p>}
      {address && data && !data.provider && <p className="card text-sm">No provider {address} is registered.</p>}
      {data?.provider && (
        <RequireWallet what="rent this GPU">
          <div className="card py-3">
            <AccountPanel />
          </div>
          <div className="mt-6">
            <NewJob provider={data.provider} />
          </div>
        </RequireWallet>
      )}
    </div>
  );
}

export default function Page() {
  return (
    <Suspense fallback={<p className="text-sm text-slate-500">Loading…</p>}>
      <NewJobPage />
    </Suspense>
  );
}
