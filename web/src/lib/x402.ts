/**
 * Paying a job every second over x402 v2 (batch-settlement scheme, Movement binding; see
 * docs/x402-batch-settlement-movement.md). One loop per job, never more than one request in
 * flight: GET the resource, answer its 402 with a cumulative voucher signed by the job's
 * session key, and repeat while the job runs. After a stall (a background tab) the next
 * voucher catches up in one step; a corrective 402 resynchronises from what the server holds.
 */
import type { Ed25519PrivateKey } from '@aptos-labs/ts-sdk';

import { minBig, octas, octasOrNull } from './amount';
import { decodeHeader, encodeHeader } from './hex';
import { signVoucher, type SignedVoucherPayload } from './voucher';

export const X402_VERSION = 2;
export const SCHEME = 'batch-settlement';
export const NATIVE_COIN = '0x1::aptos_coin::AptosCoin';

export interface RequirementsExtra {
  streamId: string;
  ratePerSecond?: string;
  package?: string;
  chargedCumulativeAmount?: string;
  servedSeconds?: string | number;
  maxCumulativeAmount?: string;
}

export interface PaymentRequirements {
  scheme: string;
  network: string;
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: RequirementsExtra;
}

export interface PaymentRequired {
  x402Version: number;
  error?: string | null;
  resource?: { url: string; description?: string; mimeType?: string };
  accepts: PaymentRequirements[];
}

export interface PaymentPayload {
  x402Version: number;
  accepted: PaymentRequirements;
  payload: { type: 'voucher'; voucher: SignedVoucherPayload };
}

export interface SettleResponse {
  success: boolean;
  errorReason?: string | null;
  payer?: string | null;
  transaction: string;
  network: string;
  amount: string;
  extra?: { commitmentId?: string; chargedCumulativeAmount?: string; chargedAmount?: string } | null;
}

/** The paid resource: one second of the job. */
export interface JobResource {
  jobId: string;
  status: string;
  secondsServed: number | string;
  paidSeconds: number | string;
  reason: string;
  outputUrl: string | null;
  outputCid: string | null;
  /** The latest logs: for the job's buyer only (`null` on an ended job's unsigned read). */
  logs: string | null;
}

export const TERMINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

export const HEADER_REQUIRED = 'PAYMENT-REQUIRED';
export const HEADER_SIGNATURE = 'PAYMENT-SIGNATURE';
export const HEADER_RESPONSE = 'PAYMENT-RESPONSE';

/** The resource URL of a job on a provider's x402 endpoint. */
export function jobResourceUrl(endpoint: string, jobId: bigint): string {
  return `${endpoint.replace(/\/+$/, '')}/jobs/${jobId.toString()}`;
}

export function pickRequirements(required: PaymentRequired, network: string): PaymentRequirements | null {
  return required.accepts.find((a) => a.scheme === SCHEME && a.network === network) ?? null;
}

function served(extra: RequirementsExtra): bigint | null {
  const v = extra.servedSeconds;
  if (v === undefined || v === null) return null;
  const s = typeof v === 'number' ? (Number.isSafeInteger(v) && v >= 0 ? v.toString() : '') : v;
  return octasOrNull(s);
}

export interface Target {
  /** The cumulative amount the next voucher names. */
  target: bigint;
  /** The least the server accepts: charged + one second. */
  floor: bigint;
  /** The most the server accepts (`maxCumulativeAmount`), if it says. */
  ceiling: bigint | null;
}

/**
 * Target = min(maxCumulativeAmount, (servedSeconds + lead) × ratePerSecond): what was
 * served plus a small lead, so a stalled page catches up in one voucher. Without
 * `servedSeconds` the target is one second more than charged.
 */
export function voucherTarget(
  req: PaymentRequirements,
  charged: bigint,
  servedSeconds: bigint | null,
  leadSeconds: bigint,
): Target {
  const amount = octas(req.amount);
  const rate = octasOrNull(req.extra.ratePerSecond ?? null) ?? amount;
  const floor = charged + amount;
  const ceiling = octasOrNull(req.extra.maxCumulativeAmount ?? null);
  let target = servedSeconds === null ? floor : (servedSeconds + leadSeconds) * rate;
  if (ceiling !== null) target = minBig(target, ceiling);
  return { target, floor, ceiling };
}

export type PayerPhase =
  | 'starting'
  | 'paying'
  | 'waiting'
  | 'provider_not_ready'
  | 'escrow_exhausted'
  | 'retrying'
  | 'finished'
  | 'closed'
  | 'stopped';

export interface PayerState {
  phase: PayerPhase;
  /** What the server holds as charged (cumulative octas). */
  charged: bigint;
  /** The newest voucher this page signed. */
  lastVoucher: bigint | null;
  servedSeconds: bigint | null;
  paidSeconds: bigint | null;
  ratePerSecond: bigint | null;
  ceiling: bigint | null;
  payTo: string | null;
  lastReason: string | null;
  lastCommitmentId: string | null;
  requests: number;
  vouchers: number;
  resource: JobResource | null;
  lastPaidAtMs: number | null;
}

export interface PayerOptions {
  endpoint: string;
  jobId: bigint;
  key: Ed25519PrivateKey;
  chainId: number;
  network: string;
  packageAddress: string;
  leadSeconds?: bigint;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Checked every round: false ends the loop (the job reached a terminal status). */
  shouldContinue?: () => boolean;
  onState?: (s: PayerState) => void;
  /** Milliseconds between rounds (one second). */
  intervalMs?: number;
  requestTimeoutMs?: number;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function readHeader<T>(resp: Response, name: string): T | null {
  const h = resp.headers.get(name);
  if (!h) return null;
  try {
    return decodeHeader<T>(h);
  } catch {
    return null;
  }
}

export class X402Payer {
  private readonly o: Required<Omit<PayerOptions, 'onState' | 'shouldContinue'>> &
    Pick<PayerOptions, 'onState' | 'shouldContinue'>;
  private readonly url: string;
  private readonly ctl = new AbortController();
  private req: PaymentRequirements | null = null;
  /** Whether the server names `servedSeconds` (and so accepts vouchers ahead of it). */
  private windowed = false;
  private running = false;
  state: PayerState = {
    phase: 'starting',
    charged: 0n,
    lastVoucher: null,
    servedSeconds: null,
    paidSeconds: null,
    ratePerSecond: null,
    ceiling: null,
    payTo: null,
    lastReason: null,
    lastCommitmentId: null,
    requests: 0,
    vouchers: 0,
    resource: null,
    lastPaidAtMs: null,
  };

  constructor(options: PayerOptions) {
    this.o = {
      leadSeconds: 2n,
      fetch: (...a: Parameters<typeof fetch>) => fetch(...a),
      now: () => Date.now(),
      sleep: abortableSleep,
      intervalMs: 1000,
      requestTimeoutMs: 15_000,
      ...options,
    };
    this.url = jobResourceUrl(options.endpoint, options.jobId);
  }

  setLeadSeconds(lead: bigint): void {
    this.o.leadSeconds = lead < 0n ? 0n : lead;
  }

  private update(patch: Partial<PayerState>): void {
    this.state = { ...this.state, ...patch };
    this.o.onState?.(this.state);
  }

  stop(): void {
    this.ctl.abort();
    if (!TERMINAL_PHASES.has(this.state.phase)) this.update({ phase: 'stopped' });
  }

  get stopped(): boolean {
    return this.ctl.signal.aborted;
  }

  private async get(headers: Record<string, string>): Promise<Response> {
    const t = new AbortController();
    const onAbort = () => t.abort();
    this.ctl.signal.addEventListener('abort', onAbort);
    const timer = setTimeout(() => t.abort(), this.o.requestTimeoutMs);
    try {
      this.update({ requests: this.state.requests + 1 });
      return await this.o.fetch(this.url, { method: 'GET', headers, signal: t.signal, cache: 'no-store' });
    } finally {
      clearTimeout(timer);
      this.ctl.signal.removeEventListener('abort', onAbort);
    }
  }

  /** Adopts the terms of a 402 (the first one, or a corrective one). */
  private async adopt402(resp: Response): Promise<PaymentRequired | null> {
    let required = readHeader<PaymentRequired>(resp, HEADER_REQUIRED);
    if (!required) {
      // The body carries the same PaymentRequired (useful when a proxy hides the header).
      try {
        required = (await resp.json()) as PaymentRequired;
      } catch {
        required = null;
      }
    }
    if (!required || !Array.isArray(required.accepts)) return null;
    const req = pickRequirements(required, this.o.network);
    if (!req) {
      this.update({ lastReason: `no ${SCHEME} offer for ${this.o.network}` });
      return null;
    }
    if (req.extra.streamId !== this.o.jobId.toString()) {
      this.update({ lastReason: `the provider asks for stream ${req.extra.streamId}, not ${this.o.jobId.toString()}` });
      return null;
    }
    this.req = req;
    this.windowed = served(req.extra) !== null;
    const charged = octasOrNull(req.extra.chargedCumulativeAmount ?? null);
    this.update({
      charged: charged ?? this.state.charged,
      servedSeconds: served(req.extra) ?? this.state.servedSeconds,
      ratePerSecond: octasOrNull(req.extra.ratePerSecond ?? null) ?? octasOrNull(req.amount),
      ceiling: octasOrNull(req.extra.maxCumulativeAmount ?? null),
      payTo: req.payTo,
    });
    return required;
  }

  /** An unpaid GET: the current terms. Returns false when there are none yet. */
  private async refresh(): Promise<boolean> {
    const resp = await this.get({});
    if (resp.status === 402) {
      const r = await this.adopt402(resp);
      return r !== null && this.req !== null;
    }
    if (resp.status === 404) {
      this.req = null;
      this.update({ phase: 'provider_not_ready', lastReason: await bodyError(resp) });
      return false;
    }
    this.update({ phase: 'retrying', lastReason: `unexpected HTTP ${resp.status}` });
    return false;
  }

  /** One voucher: 200 (paid) or a 402 to resync from. */
  private async pay(req: PaymentRequirements, target: bigint): Promise<void> {
    const voucher = signVoucher(this.o.key, {
      chainId: this.o.chainId,
      packageAddress: this.o.packageAddress,
      streamId: BigInt(req.extra.streamId),
      cumulativeAmount: target,
    });
    const payload: PaymentPayload = {
      x402Version: X402_VERSION,
      accepted: req,
      payload: { type: 'voucher', voucher },
    };
    this.update({ lastVoucher: target, vouchers: this.state.vouchers + 1, phase: 'paying' });
    const resp = await this.get({ [HEADER_SIGNATURE]: encodeHeader(payload) });
    const settle = readHeader<SettleResponse>(resp, HEADER_RESPONSE);
    if (resp.status === 200) {
      const charged = octasOrNull(settle?.extra?.chargedCumulativeAmount ?? null) ?? target;
      let body: JobResource | null = null;
      try {
        body = (await resp.json()) as JobResource;
      } catch {
        body = null;
      }
      const servedNow = body ? octasOrNull(String(body.secondsServed)) : null;
      this.update({
        charged,
        lastReason: null,
        lastCommitmentId: settle?.extra?.commitmentId ?? this.state.lastCommitmentId,
        resource: body ?? this.state.resource,
        servedSeconds: servedNow ?? this.state.servedSeconds,
        paidSeconds: body ? octasOrNull(String(body.paidSeconds)) : this.state.paidSeconds,
        lastPaidAtMs: this.o.now(),
      });
      if (body && TERMINAL_STATUSES.has(body.status)) this.update({ phase: 'finished' });
      return;
    }
    const reason = settle?.errorReason ?? null;
    if (resp.status === 402) {
      const required = await this.adopt402(resp);
      const why = reason ?? required?.error ?? 'payment refused';
      this.update({ lastReason: why });
      if (why.endsWith('_stream_closed')) this.update({ phase: 'closed' });
      else if (why === 'insufficient_funds') this.update({ phase: 'escrow_exhausted' });
      else this.update({ phase: 'retrying' });
      return;
    }
    this.req = null; // start again from a fresh 402
    this.update({ phase: 'retrying', lastReason: reason ?? `HTTP ${resp.status}` });
  }

  private continueOk(): boolean {
    if (this.stopped) return false;
    if (TERMINAL_PHASES.has(this.state.phase)) return false;
    if (this.o.shouldContinue && !this.o.shouldContinue()) {
      this.update({ phase: 'finished' });
      return false;
    }
    return true;
  }

  /** Pays until the job ends, the stream closes or `stop()`. */
  async run(): Promise<PayerState> {
    if (this.running) throw new Error('this payer is already running');
    this.running = true;
    let failures = 0;
    while (this.continueOk()) {
      const started = this.o.now();
      let delay = this.o.intervalMs;
      try {
        if (!this.req && !(await this.refresh())) {
          // no terms yet: poll again in a second
        } else if (this.req) {
          const t = voucherTarget(
            this.req,
            this.state.charged,
            this.windowed ? this.state.servedSeconds : null,
            this.o.leadSeconds,
          );
          if (t.target < t.floor) {
            const exhausted = t.ceiling !== null && t.floor > t.ceiling;
            this.update({ phase: exhausted ? 'escrow_exhausted' : 'waiting' });
            // Poll for fresh terms (servedSeconds, escrow) before the next round.
            await this.o.sleep(this.o.intervalMs, this.ctl.signal);
            if (this.continueOk()) await this.refresh();
            continue;
          }
          await this.pay(this.req, t.target);
          if (this.state.lastReason?.endsWith('_channel_busy')) delay = 250;
          else if (this.state.phase === 'retrying') delay = this.o.intervalMs;
        }
        failures = 0;
      } catch (e) {
        if (this.stopped) break;
        failures += 1;
        delay = Math.min(this.o.intervalMs * 2 ** Math.min(failures, 3), 8_000);
        this.update({ phase: 'retrying', lastReason: e instanceof Error ? e.message : String(e) });
      }
      if (!this.continueOk()) break;
      const elapsed = this.o.now() - started;
      await this.o.sleep(Math.max(0, delay - elapsed), this.ctl.signal);
    }
    this.running = false;
    return this.state;
  }
}

const TERMINAL_PHASES = new Set<PayerPhase>(['finished', 'closed', 'stopped']);

async function bodyError(resp: Response): Promise<string> {
  try {
    const b = (await resp.json()) as { error?: unknown };
    return typeof b.error === 'string' ? b.error : `HTTP ${resp.status}`;
  } catch {
    return `HTTP ${resp.status}`;
  }
}
