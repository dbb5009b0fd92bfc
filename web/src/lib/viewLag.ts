// What a page still waits for from the read models. The live feed reads the log; the read
// models are the projector's, a moment (on a loaded machine, many seconds) behind it. A page
// that asks its query again once on a live update can read the state before that update
// and then show it for good; and some facts come with no live update at all (the provider's
// metering evidence, committed on chain after the job ended: `job_registry::commit_evidence`).
// So the page asks again, with a backoff, while what it shows lags what it knows.

/** What the job page's view shows: the job's status and its stream's, and whether its evidence is in. */
export interface ViewFacts {
  /** `JobStatus` as the read models hold it (`PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`). */
  status: string;
  /** The stream's status in the read models (`open`, `closed`), null without a stream. */
  streamStatus: string | null;
  /** True when the read models hold the provider's commitment (`Job.evidence`). */
  hasEvidence: boolean;
}

/** What the live feed said about the job (its subscriptions). */
export interface LiveFacts {
  /** The newest status a `jobStatus` update moved to, upper-cased; null before any. */
  status: string | null;
  /** True once a `paymentStream` update said the stream closed. */
  closed: boolean;
}

const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/**
 * What the view still lacks, or null when it is caught up: `status` (the live feed moved the
 * job on), `close` (the live feed closed the stream), `evidence` (the job ended and the
 * provider's commitment is not in yet; a failed job whose provider is gone may never commit
 * one, so the caller stops asking after a while).
 */
export function viewLag(view: ViewFacts, live: LiveFacts): 'status' | 'close' | 'evidence' | null {
  if (live.status !== null && live.status !== view.status && !ENDED.has(view.status)) return 'status';
  if (live.closed && view.streamStatus !== 'closed') return 'close';
  if (ENDED.has(view.status) && !view.hasEvidence) return 'evidence';
  return null;
}
