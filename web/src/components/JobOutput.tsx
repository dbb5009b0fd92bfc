'use client';

// A job's outputs and its evidence: the CID and URL the provider reported, the metering
// evidence it committed on chain, and the verdict of checking the job's signed records and
// vouchers against it (docs/DISPUTES.md; the gateway runs `computestream verify`'s check).

import type { Ed25519PrivateKey } from '@aptos-labs/ts-sdk';
import { useEffect, useState } from 'react';

import { useApp } from '@/app/providers';
import { Amount } from '@/components/Amount';
import { ErrorBox } from '@/components/ErrorBox';
import { useQuery } from '@/lib/hooks';
import { downloadOutputs } from '@/lib/outputs';
import { safeHttpUrl } from '@/lib/safeUrl';
import { JOB_EVIDENCE_CHECK, type JobEvidence, type JobEvidenceCheckData } from '@/lib/queries';

function short(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 10)}…` : hash;
}

/**
 * The verdict on the job's evidence, asked once it is committed, every 3 s until the verdict
 * is final (the stream closed and the commitment on chain: before that a settlement may still
 * change it), and again when the stream closes.
 */
function EvidenceVerdict({ jobId, closed }: { jobId: string; closed: boolean }) {
  const [settled, setSettled] = useState(false);
  // The gateway runs one check at a time and keeps a verdict that is not final for 5 s.
  const q = useQuery<JobEvidenceCheckData>(JOB_EVIDENCE_CHECK, { id: jobId }, { pollMs: settled ? undefined : 3000 });
  const refetch = q.refetch;
  useEffect(() => {
    if (closed) refetch();
  }, [closed, refetch]);
  const v = q.data?.job?.evidence?.verification ?? null;
  useEffect(() => {
    if (v?.final) setSettled(true);
  }, [v]);
  if (q.error && !v) return <ErrorBox error={q.error} title="Could not check the evidence" />;
  if (!v) {
    return (
      <p className="text-xs text-slate-500" data-testid="evidence-verdict" data-holds="">
        checking the signed records against the chain…
      </p>
    );
  }
  return (
    <div
      className={`rounded-lg border p-2 text-xs ${v.holds ? 'border-emerald-200 bg-emerald-50 text-emerald-900' : 'border-rose-200 bg-rose-50 text-rose-900'}`}
      data-testid="evidence-verdict"
      data-holds={String(v.holds)}
      data-final={String(v.final)}
      data-signed-seconds={v.signedSeconds}
    >
      <div className="font-semibold">
        {v.holds ? 'Verified' : 'Does not verify'}
        {!v.final && <span className="font-normal"> so far: a settlement or the commitment may still land</span>}
      </div>
      <div>
        {v.signedSeconds} s signed by the provider in one chain, head{' '}
        <span className="font-mono" title={v.head}>
          {short(v.head)}
        </span>
        ; on chain: {v.committedHead ? (
          <>
            {v.committedSeconds} s, head{' '}
            <span className="font-mono" title={v.committedHead}>
              {short(v.committedHead)}
            </span>
          </>
        ) : (
          'nothing committed'
        )}
      </div>
      <div>
        paid on chain <Amount octas={v.paid} />; newest valid voucher {v.newestVoucher ? <Amount octas={v.newestVoucher} /> : 'none'}
      </div>
      {v.firstFailure && (
        <div className="mt-1" data-testid="evidence-first-failure">
          first failure: {v.firstFailure}
          {v.findings.length > 1 ? ` (and ${v.findings.length - 1} more)` : ''}
        </div>
      )}
    </div>
  );
}

/** The buyer downloads the outputs from the provider's endpoint, checked against the CID on chain. */
function DownloadOutputs({ jobId, cid, endpoint, sessionKey }: { jobId: string; cid: string; endpoint: string; sessionKey: Ed25519PrivateKey }) {
  const { config } = useApp();
  const [state, setState] = useState<{ phase: 'idle' | 'busy' | 'done' | 'failed'; message: string }>({ phase: 'idle', message: '' });
  const download = async () => {
    setState({ phase: 'busy', message: 'downloading…' });
    try {
      const bytes = await downloadOutputs({ endpoint, jobId: BigInt(jobId), key: sessionKey, chainId: config.chainId, pkg: config.package, expectedCid: cid });
      const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `job-${jobId}-${cid}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setState({ phase: 'done', message: `${bytes.length} bytes, matching the CID on chain` });
    } catch (e) {
      setState({ phase: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <div className="flex items-center gap-2 text-xs" data-testid="download-outputs" data-phase={state.phase}>
      <button type="button" className="btn-secondary py-0.5" onClick={() => void download()} disabled={state.phase === 'busy'}>
        Download outputs
      </button>
      <span className={state.phase === 'failed' ? 'text-rose-700' : 'text-slate-500'} data-testid="download-outputs-result">
        {state.message}
      </span>
    </div>
  );
}

export function JobOutput({
  jobId,
  outputCid,
  outputUrl,
  evidence,
  closed,
  endpoint,
  sessionKey,
}: {
  jobId: string;
  outputCid: string | null;
  outputUrl: string | null;
  evidence: JobEvidence | null;
  closed: boolean;
  /** The provider's x402 endpoint (it serves the outputs to the buyer). */
  endpoint: string | null;
  /** This browser's voucher key for the job (the buyer's), if it holds it. */
  sessionKey: Ed25519PrivateKey | null;
}) {
  return (
    <dl className="space-y-2 text-sm">
      <div>
        <dt className="stat-label">CID</dt>
        <dd className="break-all font-mono text-xs" data-testid="output-cid">
          {outputCid ?? '—'}
        </dd>
        {outputCid && endpoint && sessionKey && <DownloadOutputs jobId={jobId} cid={outputCid} endpoint={endpoint} sessionKey={sessionKey} />}
      </div>
      <div>
        <dt className="stat-label">Metering evidence on chain</dt>
        <dd className="space-y-1 break-all text-xs" data-testid="job-evidence">
          {evidence ? (
            <>
              <div>
                {evidence.meteredSeconds} s metered, head{' '}
                <span className="font-mono" title={evidence.meteringHead}>
                  {short(evidence.meteringHead)}
                </span>{' '}
                (version {evidence.version}); anyone can check it with{' '}
                <code className="font-mono">computestream verify {jobId}</code>
              </div>
              <EvidenceVerdict jobId={jobId} closed={closed} />
            </>
          ) : (
            'committed by the provider when the job ends'
          )}
        </dd>
      </div>
      <div>
        <dt className="stat-label">URL</dt>
        <dd className="break-all text-xs">
          {safeHttpUrl(outputUrl) ? (
            <a href={safeHttpUrl(outputUrl) ?? undefined} target="_blank" rel="noreferrer" className="text-indigo-700 underline">
              {outputUrl}
            </a>
          ) : (
            (outputUrl ?? '—')
          )}
        </dd>
      </div>
    </dl>
  );
}
