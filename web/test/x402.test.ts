import { Ed25519PrivateKey, Ed25519PublicKey, Ed25519Signature, PrivateKey, PrivateKeyVariants } from '@aptos-labs/ts-sdk';
import { describe, expect, it } from 'vitest';

import { decodeHeader, encodeHeader } from '@/lib/hex';
import { voucherSigningBytes } from '@/lib/voucher';
import {
  voucherTarget,
  X402Payer,
  type PaymentPayload,
  type PaymentRequired,
  type PaymentRequirements,
} from '@/lib/x402';

const PKG = '0x' + 'c5'.repeat(32);
const PROVIDER = '0x' + 'ab'.repeat(32);
const NETWORK = 'movement:4';
const key = new Ed25519PrivateKey(PrivateKey.formatPrivateKey('0x' + '22'.repeat(32), PrivateKeyVariants.Ed25519));

interface ServerOpts {
  rate: bigint;
  escrow: bigint;
  withServed?: boolean;
  withMax?: boolean;
  /** Seconds served at request n (0-based). */
  served?: (n: number) => number;
  status?: (n: number) => string;
  /** Refuse the voucher of request n with this reason (once). */
  refuse?: Record<number, string>;
}

/** A provider endpoint with the binding's voucher rules (rules 7, 11, 12 and the window). */
function fakeProvider(o: ServerOpts) {
  let charged = 0n;
  let n = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const vouchers: bigint[] = [];
  const reqs = (): PaymentRequirements => ({
    scheme: 'batch-settlement',
    network: NETWORK,
    amount: o.rate.toString(),
    asset: '0x1::aptos_coin::AptosCoin',
    payTo: PROVIDER,
    maxTimeoutSeconds: 60,
    extra: {
      streamId: '9',
      ratePerSecond: o.rate.toString(),
      package: PKG,
      chargedCumulativeAmount: charged.toString(),
      ...(o.withServed ? { servedSeconds: String(o.served?.(n) ?? n) } : {}),
      ...(o.withMax ? { maxCumulativeAmount: o.escrow.toString() } : {}),
    },
  });
  const required = (error: string): Response => {
    const body: PaymentRequired = {
      x402Version: 2,
      error,
      resource: { url: 'http://p/jobs/9', description: 'one second', mimeType: 'application/json' },
      accepts: [reqs()],
    };
    const headers = new Headers({ 'PAYMENT-REQUIRED': encodeHeader(body) });
    if (error.startsWith('invalid') || error === 'insufficient_funds') {
      headers.set('PAYMENT-RESPONSE', encodeHeader({ success: false, errorReason: error, transaction: '', network: NETWORK, amount: '' }));
    }
    return new Response(JSON.stringify(body), { status: 402, headers });
  };
  const fetchImpl = async (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    try {
      const i = n++;
      const sig = new Headers(init?.headers).get('PAYMENT-SIGNATURE');
      if (!sig) return required('PAYMENT-SIGNATURE header is required');
      const p = decodeHeader<PaymentPayload>(sig);
      const v = p.payload.voucher;
      const amount = BigInt(v.cumulativeAmount);
      const ok = new Ed25519PublicKey(v.buyerPublicKey).verifySignature({
        message: voucherSigningBytes({ chainId: v.chainId, packageAddress: v.package, streamId: BigInt(v.streamId), cumulativeAmount: amount }),
        signature: new Ed25519Signature(v.signature),
      });
      if (!ok) return required('invalid_signature');
      const refusal = o.refuse?.[i];
      if (refusal) {
        delete o.refuse?.[i];
        return required(refusal);
      }
      if (amount > o.escrow) return required('insufficient_funds');
      if (amount < charged + o.rate) return required('invalid_batch_settlement_movement_cumulative_amount_mismatch');
      charged = amount;
      vouchers.push(amount);
      const body = {
        jobId: '9',
        status: o.status?.(i) ?? 'running',
        secondsServed: o.served?.(i) ?? i,
        paidSeconds: Number(charged / o.rate),
        reason: '',
        outputUrl: null,
        outputCid: null,
        logs: `line ${i}`,
      };
      return new Response(JSON.stringify(body), {
        status: 200,
        headers: {
          'PAYMENT-RESPONSE': encodeHeader({
            success: true,
            payer: '0x1',
            transaction: '',
            network: NETWORK,
            amount: '',
            extra: { commitmentId: `0x${i}`, chargedCumulativeAmount: charged.toString() },
          }),
        },
      });
    } finally {
      inFlight -= 1;
    }
  };
  return {
    fetchImpl,
    vouchers,
    get calls() {
      return n;
    },
    get charged() {
      return charged;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    setCharged(v: bigint) {
      charged = v;
    },
  };
}

/** A payer that stops after `calls` requests to the provider. */
function payer(server: ReturnType<typeof fakeProvider>, calls: number, extra: Partial<ConstructorParameters<typeof X402Payer>[0]> = {}) {
  const p = new X402Payer({
    endpoint: 'http://provider.test/',
    jobId: 9n,
    key,
    chainId: 4,
    network: NETWORK,
    packageAddress: PKG,
    fetch: server.fetchImpl as typeof fetch,
    sleep: async () => undefined,
    shouldContinue: () => server.calls < calls,
    ...extra,
  });
  return p;
}

describe('voucherTarget', () => {
  const req = (extra: Partial<PaymentRequirements['extra']>): PaymentRequirements => ({
    scheme: 'batch-settlement',
    network: NETWORK,
    amount: '100',
    asset: '0x1::aptos_coin::AptosCoin',
    payTo: PROVIDER,
    maxTimeoutSeconds: 60,
    extra: { streamId: '9', ratePerSecond: '100', package: PKG, ...extra },
  });

  it('pays one second more than charged without servedSeconds', () => {
    expect(voucherTarget(req({}), 500n, null, 2n)).toEqual({ target: 600n, floor: 600n, ceiling: null });
  });

  it('pays what was served plus the lead, capped by maxCumulativeAmount', () => {
    expect(voucherTarget(req({ maxCumulativeAmount: '10000' }), 500n, 10n, 2n).target).toBe(1200n);
    expect(voucherTarget(req({ maxCumulativeAmount: '1000' }), 500n, 10n, 2n).target).toBe(1000n);
  });

  it('is below the floor when already paid ahead', () => {
    const t = voucherTarget(req({}), 1200n, 10n, 2n);
    expect(t.target < t.floor).toBe(true);
  });
});

describe('X402Payer', () => {
  it('pays every second with vouchers the provider verifies, one request at a time', async () => {
    const server = fakeProvider({ rate: 100n, escrow: 1_000_000n });
    const p = payer(server, 10);
    const s = await p.run();
    expect(server.vouchers.length).toBeGreaterThanOrEqual(9);
    // Without servedSeconds: exactly one second per voucher.
    server.vouchers.forEach((v, i) => expect(v).toBe(BigInt(i + 1) * 100n));
    expect(s.charged).toBe(server.charged);
    expect(s.resource?.logs).toMatch(/^line /);
    expect(server.maxInFlight).toBe(1);
  });

  it('pays for what was served plus the lead, and catches up in one voucher after a stall', async () => {
    const served = [0, 0, 1, 2, 3, 30, 31, 32, 33, 34, 35, 36, 37, 38];
    const server = fakeProvider({
      rate: 100n,
      escrow: 1_000_000n,
      withServed: true,
      withMax: true,
      served: (n) => served[Math.min(n, served.length - 1)] ?? 0,
    });
    const p = payer(server, 14);
    await p.run();
    // The first voucher pays the lead (2 s) ahead of what was served.
    expect(server.vouchers[0]).toBe(200n);
    // After the stall (3 -> 30 served) one voucher jumps to (30 + 2) s.
    const jump = server.vouchers.findIndex((v) => v >= 3000n);
    expect(jump).toBeGreaterThan(0);
    expect(server.vouchers[jump]! - server.vouchers[jump - 1]!).toBeGreaterThan(100n);
    for (let i = 1; i < server.vouchers.length; i++) expect(server.vouchers[i]! > server.vouchers[i - 1]!).toBe(true);
    expect(server.maxInFlight).toBe(1);
  });

  it('never signs past maxCumulativeAmount and reports the escrow used up', async () => {
    const server = fakeProvider({ rate: 100n, escrow: 450n, withServed: true, withMax: true, served: (n) => n });
    const p = payer(server, 12);
    const s = await p.run();
    expect(server.vouchers.every((v) => v <= 450n)).toBe(true);
    expect(server.vouchers[server.vouchers.length - 1]).toBe(450n);
    expect(s.phase === 'escrow_exhausted' || s.phase === 'finished').toBe(true);
    expect(p.state.charged).toBe(450n);
  });

  it('resynchronises from a corrective 402', async () => {
    const server = fakeProvider({
      rate: 100n,
      escrow: 1_000_000n,
      refuse: { 2: 'invalid_batch_settlement_movement_channel_busy' },
    });
    const p = payer(server, 8);
    // The server already holds 5000 (another client paid before this page).
    server.setCharged(5000n);
    await p.run();
    expect(server.vouchers[0]).toBe(5100n);
    for (let i = 1; i < server.vouchers.length; i++) expect(server.vouchers[i]).toBe(server.vouchers[i - 1]! + 100n);
  });

  it('stops when the job reaches a terminal status', async () => {
    const server = fakeProvider({ rate: 100n, escrow: 1_000_000n, status: (n) => (n >= 3 ? 'completed' : 'running') });
    const p = payer(server, 100);
    const s = await p.run();
    expect(s.phase).toBe('finished');
    expect(server.vouchers.length).toBe(3);
  });

  it('waits while the provider does not know the job', async () => {
    let calls = 0;
    const p = new X402Payer({
      endpoint: 'http://provider.test',
      jobId: 9n,
      key,
      chainId: 4,
      network: NETWORK,
      packageAddress: PKG,
      fetch: (async () => {
        calls += 1;
        return new Response(JSON.stringify({ error: 'no job 9 on this provider' }), { status: 404 });
      }) as typeof fetch,
      sleep: async () => undefined,
      shouldContinue: () => calls < 3,
    });
    const s = await p.run();
    expect(s.phase).toBe('finished');
    expect(p.state.lastReason).toBe('no job 9 on this provider');
    expect(p.state.vouchers).toBe(0);
  });
});
