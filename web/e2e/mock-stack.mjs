// A stand-in for `computestream serve` + executor + settler, for browser tests of the web app
// before (or without) the Rust stack. Only for tests: it keeps its read model in memory.
// One file past ~600 lines on purpose: a self-contained stand-in that the smoke test starts
// as one process.
//
//  - serves web/out and /config.json (the node proxied at /node, so no CORS is needed for it),
//  - GraphQL over HTTP (POST /graphql) and graphql-transport-ws (/graphql/ws), against the
//    real SDL (schemas/graphql/schema.graphql) plus `Provider.endpoint`,
//  - indexes the local devnet (`computestream devnet`) by polling its transactions,
//  - an x402 endpoint on its own port (CORS on, headers exposed) that verifies vouchers and
//    meters the provider's jobs (it starts them with the provider's key), heartbeats,
//  - a settler that redeems the newest voucher (settle_batch) and closes ended streams.
//
// env: DEVNET_URL (http://127.0.0.1:18070), WEB_PORT (3100), X402_PORT (3101), OUT_DIR (web/out),
//      PROVIDER_KEY (hex; the provider this stack runs an executor for), CHAIN_ID (4),
//      PACKAGE (0xc5…c5), SETTLE_EVERY_MS (4000),
//      DEVNET_URL=none + SEED_SESSION_KEY=0x…: no chain at all; a seeded read model (three
//      providers, a finished job, a running job 2 whose voucher key is SEED_SESSION_KEY) for
//      page rendering tests (e2e/smoke.mjs).
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  Account,
  AccountAddress,
  Aptos,
  AptosConfig,
  Ed25519PrivateKey,
  Ed25519PublicKey,
  Ed25519Signature,
  Network,
  parseTypeTag,
  PrivateKey,
  PrivateKeyVariants,
  Serializer,
} from '@aptos-labs/ts-sdk';
import { buildSchema, execute, parse, subscribe, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

import { serveStatic } from './static.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEVNET = (process.env.DEVNET_URL ?? 'http://127.0.0.1:18070').replace(/\/$/, '');
const WEB_PORT = Number(process.env.WEB_PORT ?? 3100);
const X402_PORT = Number(process.env.X402_PORT ?? 3101);
const OUT_DIR = path.resolve(process.env.OUT_DIR ?? path.join(here, '..', 'out'));
const CHAIN_ID = Number(process.env.CHAIN_ID ?? 4);
const PKG = AccountAddress.from(process.env.PACKAGE ?? '0x' + 'c5'.repeat(32)).toStringLong();
const SETTLE_EVERY_MS = Number(process.env.SETTLE_EVERY_MS ?? 4000);
const NETWORK = `movement:${CHAIN_ID}`;
const STATUS = ['pending', 'running', 'completed', 'failed', 'cancelled'];

const aptos = new Aptos(new AptosConfig({ network: Network.CUSTOM, fullnode: `${DEVNET}/v1` }));
const keyOf = (hex) => new Ed25519PrivateKey(PrivateKey.formatPrivateKey(hex, PrivateKeyVariants.Ed25519));
const NO_CHAIN = DEVNET === 'none';
const providerAccount = process.env.PROVIDER_KEY ? Account.fromPrivateKey({ privateKey: keyOf(process.env.PROVIDER_KEY) }) : null;
const SEED_PROVIDER = '0x' + '5e'.repeat(32);
const providerAddr = providerAccount?.accountAddress.toStringLong() ?? (NO_CHAIN ? SEED_PROVIDER : null);
const settler = Account.generate();
const long = (a) => AccountAddress.from(a, { maxMissingChars: 63 }).toStringLong();
const iso = (ms) => new Date(ms).toISOString();
const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);

// ---------------------------------------------------------------- read model
const providers = new Map();
const jobs = new Map();
const streams = new Map();
const ticks = []; // {job, provider, atMs, amount}
const live = new EventEmitter();
live.setMaxListeners(0);

function publishStream(kind, s, atMs = Date.now()) {
  live.emit('stream', {
    kind,
    jobId: String(s.id),
    attestedSeconds: String(s.attested),
    accrued: String(min(BigInt(s.attested) * s.rate, s.escrow)),
    vouchered: String(s.vouchered),
    settled: String(s.settled),
    refunded: String(s.refunded),
    atMs: String(atMs),
  });
}
const min = (a, b) => (a < b ? a : b);

function apply(ev, tx) {
  const m = /^(0x[0-9a-fA-F]+)::(\w+)::(\w+)/.exec(ev.type);
  if (!m || long(m[1]) !== PKG) return;
  const name = m[3];
  const d = ev.data;
  const at = Math.floor(Number(tx.timestamp) / 1000);
  switch (name) {
    case 'ProviderRegistered':
      providers.set(long(d.provider), {
        address: long(d.provider),
        gpuType: d.gpu_type,
        vramGb: Number(d.vram_gb),
        pricePerSecond: BigInt(d.price_per_second),
        stake: BigInt(d.stake),
        isActive: true,
        registeredAt: at,
        lastHeartbeatAt: null,
        jobsCompleted: 0,
        jobsFailed: 0,
      });
      break;
    case 'Staked': {
      const p = providers.get(long(d.provider));
      if (p) p.stake = BigInt(d.total_stake);
      break;
    }
    case 'PriceUpdated': {
      const p = providers.get(long(d.provider));
      if (p) p.pricePerSecond = BigInt(d.price_per_second);
      break;
    }
    case 'AvailabilityUpdated': {
      const p = providers.get(long(d.provider));
      if (p) p.isActive = d.is_active;
      live.emit('availability', { provider: long(d.provider), available: d.is_active, source: 'availability', atMs: String(at) });
      break;
    }
    case 'Unstaked':
      providers.delete(long(d.provider));
      break;
    case 'JobCreated':
      jobs.set(Number(d.job_id), {
        id: Number(d.job_id),
        buyer: long(d.buyer),
        provider: long(d.provider),
        dockerImage: d.docker_image,
        status: 'pending',
        escrowAmount: BigInt(d.escrow_amount),
        maxDurationSecs: BigInt(d.max_duration_secs),
        pricePerSecond: BigInt(d.price_per_second),
        createdAt: at,
        startedAt: null,
        endedAt: null,
        exitCode: null,
        reason: '',
        outputUrl: null,
        outputCid: null,
      });
      break;
    case 'JobStatusChanged': {
      const j = jobs.get(Number(d.job_id));
      if (!j) break;
      const from = j.status;
      j.status = STATUS[Number(d.to)] ?? j.status;
      j.reason = d.reason ?? '';
      if (j.status === 'running') j.startedAt = at;
      if (['completed', 'failed', 'cancelled'].includes(j.status)) j.endedAt = at;
      const p = providers.get(j.provider);
      if (p && j.status === 'completed') p.jobsCompleted += 1;
      if (p && j.status === 'failed') p.jobsFailed += 1;
      live.emit('jobStatus', { jobId: String(j.id), from, to: j.status, reason: j.reason, atMs: String(at) });
      break;
    }
    case 'StreamOpened':
      streams.set(Number(d.stream_id), {
        id: Number(d.stream_id),
        buyer: long(d.buyer),
        provider: long(d.provider),
        key: d.buyer_public_key,
        rate: BigInt(d.rate_per_second),
        escrow: BigInt(d.escrow),
        attested: 0,
        vouchered: 0n,
        voucherSig: null,
        settled: 0n,
        refunded: 0n,
        status: 'open',
        openedAt: at,
        closedAt: null,
        settlements: [],
        settling: false,
      });
      break;
    case 'Deposited': {
      const s = streams.get(Number(d.job_id));
      if (s) s.escrow = BigInt(d.total_deposited);
      const j = jobs.get(Number(d.job_id));
      if (j) j.escrowAmount = BigInt(d.total_deposited);
      break;
    }
    case 'StreamSettled': {
      const s = streams.get(Number(d.stream_id));
      if (!s) break;
      s.settled = BigInt(d.paid_total);
      s.settlements.push({
        version: String(tx.version),
        cumulativeAmount: String(d.cumulative_amount),
        paidNow: String(d.paid_now),
        paidTotal: String(d.paid_total),
        settledAt: iso(at),
      });
      publishStream('settled', s, at);
      break;
    }
    case 'StreamClosed': {
      const s = streams.get(Number(d.stream_id));
      if (!s) break;
      s.settled = BigInt(d.paid_total);
      s.refunded = BigInt(d.refunded);
      s.status = 'closed';
      s.closedAt = at;
      publishStream('closed', s, at);
      break;
    }
    default:
      break;
  }
}

let nextVersion = 0;
async function indexOnce() {
  const r = await fetch(`${DEVNET}/v1/transactions?start=${nextVersion}&limit=100`);
  if (!r.ok) return;
  const txs = await r.json();
  for (const tx of txs) {
    nextVersion = Number(tx.version) + 1;
    if (tx.success === false) continue;
    for (const ev of tx.events ?? []) apply(ev, tx);
  }
}

// ---------------------------------------------------------------- chain writes
function abi(params) {
  return { typeParameters: [], parameters: params.map((t) => parseTypeTag(t)), signers: 1 };
}
async function submit(signer, fn, params, args) {
  const transaction = await aptos.transaction.build.simple({
    sender: signer.accountAddress,
    data: { function: `${PKG}::${fn}`, functionArguments: args, abi: abi(params) },
  });
  const p = await aptos.signAndSubmitTransaction({ signer, transaction });
  const done = await aptos.waitForTransaction({ transactionHash: p.hash, options: { checkSuccess: false } });
  if (!done.success) log(`${fn} failed: ${done.vm_status}`);
  return done;
}
async function fund(addr, amount) {
  const r = await fetch(`${DEVNET}/mint?address=${addr}&amount=${amount}`, { method: 'POST' });
  const [hash] = await r.json();
  await aptos.waitForTransaction({ transactionHash: hash });
}

// ---------------------------------------------------------------- GraphQL
const SDL = readFileSync(path.join(here, '..', '..', 'schemas', 'graphql', 'schema.graphql'), 'utf8');
const schema = buildSchema(`${SDL}\nextend type Provider { endpoint: String }\n`);
const X402_URL = `http://127.0.0.1:${X402_PORT}`;

function bucketize(points, range) {
  const now = Date.now();
  const to = range?.toMs ? Number(range.toMs) : now + 60_000;
  const from = range?.fromMs ? Number(range.fromMs) : to - 3_600_000;
  const b = (range?.bucketSecs ?? 60) * 1000;
  const out = new Map();
  for (const p of points) {
    if (p.atMs < from || p.atMs >= to) continue;
    const k = Math.floor(p.atMs / b) * b;
    const e = out.get(k) ?? { seconds: 0, amount: 0n };
    e.seconds += 1;
    e.amount += p.amount;
    out.set(k, e);
  }
  return [...out.entries()]
    .sort((a, b2) => a[0] - b2[0])
    .map(([k, e]) => ({ at: new Date(k).toISOString().replace(/\.\d{3}Z$/, 'Z'), seconds: e.seconds, amount: String(e.amount) }));
}

function reputation(p) {
  const done = p.jobsCompleted + p.jobsFailed;
  const completion = done === 0 ? 10000 : Math.floor((p.jobsCompleted * 10000) / done);
  const uptime = p.lastHeartbeatAt ? 10000 : 0;
  const stake = Number(((p.stake < 1_000_000_000n ? p.stake : 1_000_000_000n) * 10000n) / 1_000_000_000n);
  return Math.floor((5 * completion + 3 * uptime + 2 * stake) / 10);
}

function providerObj(p) {
  return {
    address: p.address,
    gpuType: p.gpuType,
    vramGb: p.vramGb,
    pricePerSecond: String(p.pricePerSecond),
    stake: String(p.stake),
    isActive: p.isActive,
    registeredAt: iso(p.registeredAt),
    lastHeartbeatAt: p.lastHeartbeatAt ? iso(p.lastHeartbeatAt) : null,
    reputationBps: reputation(p),
    jobsCompleted: p.jobsCompleted,
    jobsFailed: p.jobsFailed,
    endpoint: p.address === providerAddr ? X402_URL : null,
    earnings: ({ range }) => bucketize(ticks.filter((t) => t.provider === p.address), range),
    jobs: ({ first }) => [...jobs.values()].filter((j) => j.provider === p.address).sort((a, b) => b.id - a.id).slice(0, first ?? 20).map(jobObj),
  };
}

function streamObj(s) {
  return {
    jobId: String(s.id),
    ratePerSecond: String(s.rate),
    escrow: String(s.escrow),
    attestedSeconds: String(s.attested),
    vouchered: String(s.vouchered),
    accrued: String(min(BigInt(s.attested) * s.rate, s.escrow)),
    settled: String(s.settled),
    refunded: String(s.refunded),
    remaining: String(s.escrow - s.settled - s.refunded),
    status: s.status,
    openedAt: iso(s.openedAt),
    closedAt: s.closedAt ? iso(s.closedAt) : null,
    series: ({ range }) => bucketize(ticks.filter((t) => t.job === s.id), range),
    settlements: () => s.settlements,
  };
}

function jobObj(j) {
  return {
    id: String(j.id),
    buyer: j.buyer,
    providerAddress: j.provider,
    provider: () => (providers.has(j.provider) ? providerObj(providers.get(j.provider)) : null),
    dockerImage: j.dockerImage,
    status: j.status.toUpperCase(),
    escrowAmount: String(j.escrowAmount),
    maxDurationSecs: String(j.maxDurationSecs),
    pricePerSecond: String(j.pricePerSecond),
    createdAt: iso(j.createdAt),
    startedAt: j.startedAt ? iso(j.startedAt) : null,
    endedAt: j.endedAt ? iso(j.endedAt) : null,
    exitCode: j.exitCode,
    reason: j.reason,
    outputUrl: j.outputUrl,
    outputCid: j.outputCid,
    stream: () => (streams.has(j.id) ? streamObj(streams.get(j.id)) : null),
  };
}

function page(list, first, after) {
  const off = after ? Number(after) : 0;
  const n = first ?? 20;
  const nodes = list.slice(off, off + n);
  return { nodes, pageInfo: { hasNextPage: off + n < list.length, endCursor: nodes.length ? String(off + nodes.length) : null } };
}

async function* events(name, map) {
  const queue = [];
  let wake = null;
  const on = (v) => {
    const out = map(v);
    if (out === undefined) return;
    queue.push(out);
    wake?.();
  };
  live.on(name, on);
  try {
    for (;;) {
      while (queue.length) yield queue.shift();
      await new Promise((r) => (wake = r));
      wake = null;
    }
  } finally {
    live.off(name, on);
  }
}

const root = {
  providers: ({ filter, order, first, after }) => {
    let list = [...providers.values()];
    const f = filter ?? {};
    if (f.available ?? true) list = list.filter((p) => p.isActive);
    if (f.gpuType) list = list.filter((p) => p.gpuType === f.gpuType);
    if (f.minVramGb) list = list.filter((p) => p.vramGb >= f.minVramGb);
    if (f.maxPricePerSecond) list = list.filter((p) => p.pricePerSecond <= BigInt(f.maxPricePerSecond));
    const cmp = {
      PRICE_ASC: (a, b) => (a.pricePerSecond < b.pricePerSecond ? -1 : a.pricePerSecond > b.pricePerSecond ? 1 : 0),
      REPUTATION_DESC: (a, b) => reputation(b) - reputation(a),
      VRAM_DESC: (a, b) => b.vramGb - a.vramGb,
    }[order ?? 'PRICE_ASC'];
    list.sort(cmp);
    return page(list.map(providerObj), first, after);
  },
  provider: ({ address }) => {
    const p = providers.get(long(address));
    return p ? providerObj(p) : null;
  },
  jobs: ({ buyer, provider, status, first, after }) => {
    let list = [...jobs.values()].sort((a, b) => b.id - a.id);
    if (buyer) list = list.filter((j) => j.buyer === long(buyer));
    if (provider) list = list.filter((j) => j.provider === long(provider));
    if (status) list = list.filter((j) => j.status === status.toLowerCase());
    return page(list.map(jobObj), first, after);
  },
  job: ({ id }) => (jobs.has(Number(id)) ? jobObj(jobs.get(Number(id))) : null),
  paymentStream: ({ jobId }) => (streams.has(Number(jobId)) ? streamObj(streams.get(Number(jobId))) : null),
  marketplaceStats: () => {
    const ss = [...streams.values()];
    const js = [...jobs.values()];
    return {
      providers: String(providers.size),
      activeProviders: String([...providers.values()].filter((p) => p.isActive).length),
      jobs: String(js.length),
      runningJobs: String(js.filter((j) => j.status === 'running').length),
      completedJobs: String(js.filter((j) => j.status === 'completed').length),
      openStreams: String(ss.filter((s) => s.status === 'open').length),
      totalEscrow: String(ss.reduce((t, s) => t + s.escrow, 0n)),
      totalSettled: String(ss.reduce((t, s) => t + s.settled, 0n)),
      totalRefunded: String(ss.reduce((t, s) => t + s.refunded, 0n)),
    };
  },
};

const subscriptionRoot = {
  paymentStream: ({ jobId }) => events('stream', (u) => (u.jobId === String(jobId) ? { paymentStream: u } : undefined)),
  jobStatus: ({ jobId }) => events('jobStatus', (u) => (u.jobId === String(jobId) ? { jobStatus: u } : undefined)),
  providerAvailability: () => events('availability', (u) => ({ providerAvailability: u })),
  marketplaceEvents: () => events('market', (u) => ({ marketplaceEvents: u })),
};

async function graphqlHttp(req, res) {
  let body = '';
  for await (const c of req) body += c;
  const { query, variables } = JSON.parse(body || '{}');
  let doc;
  try {
    doc = parse(query);
  } catch (e) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: String(e.message), extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] }));
    return;
  }
  const errors = validate(schema, doc);
  if (errors.length) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: null, errors: errors.map((e) => ({ message: e.message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) }));
    return;
  }
  const out = await execute({ schema, document: doc, rootValue: root, variableValues: variables });
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(out));
}

// ---------------------------------------------------------------- x402 executor
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64');
const unb64 = (s) => JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
const served = new Map(); // job -> seconds served
const started = new Set();

function voucherBytes(chainId, pkg, stream, amount) {
  const s = new Serializer();
  s.serializeBytes(new TextEncoder().encode('computestream::voucher::v1'));
  s.serializeU8(chainId);
  AccountAddress.from(pkg, { maxMissingChars: 63 }).serialize(s);
  s.serializeU64(BigInt(stream));
  s.serializeU64(BigInt(amount));
  return s.toUint8Array();
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, OPTIONS',
  'access-control-allow-headers': 'PAYMENT-SIGNATURE, content-type',
  'access-control-expose-headers': 'PAYMENT-REQUIRED, PAYMENT-RESPONSE',
  'access-control-max-age': '600',
};

function requirements(j, s) {
  return {
    scheme: 'batch-settlement',
    network: NETWORK,
    amount: String(s.rate),
    asset: '0x1::aptos_coin::AptosCoin',
    payTo: s.provider,
    maxTimeoutSeconds: 60,
    extra: {
      streamId: String(j.id),
      ratePerSecond: String(s.rate),
      package: PKG,
      chargedCumulativeAmount: String(s.vouchered),
      servedSeconds: String(served.get(j.id) ?? 0),
      maxCumulativeAmount: String(s.escrow),
    },
  };
}

function x402(req, res) {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, CORS).end();
    return;
  }
  const m = /^\/jobs\/(\d+)$/.exec(new URL(req.url, 'http://x').pathname);
  const j = m ? jobs.get(Number(m[1])) : null;
  const s = j ? streams.get(j.id) : null;
  const send = (status, body, headers = {}) => {
    res.writeHead(status, { ...CORS, 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  if (!j || j.provider !== providerAddr) return send(404, { error: `no job ${m?.[1]} on this provider` });
  if (!s || s.status !== 'open') {
    if (s?.status === 'closed') {
      const reqs = requirements(j, s);
      const body = { x402Version: 2, error: 'invalid_batch_settlement_movement_stream_closed', resource: { url: `${X402_URL}/jobs/${j.id}` }, accepts: [reqs] };
      return send(402, body, { 'PAYMENT-REQUIRED': b64(body), 'PAYMENT-RESPONSE': b64({ success: false, errorReason: body.error, transaction: '', network: NETWORK, amount: '' }) });
    }
    return send(404, { error: `the payment stream of job ${j.id} is not open yet` });
  }
  const reqs = requirements(j, s);
  const refuse = (reason) => {
    const body = { x402Version: 2, error: reason, resource: { url: `${X402_URL}/jobs/${j.id}`, description: `one second of job ${j.id}`, mimeType: 'application/json' }, accepts: [reqs] };
    const h = { 'PAYMENT-REQUIRED': b64(body) };
    if (reason.startsWith('invalid') || reason === 'insufficient_funds') {
      h['PAYMENT-RESPONSE'] = b64({ success: false, errorReason: reason, transaction: '', network: NETWORK, amount: '' });
    }
    return send(402, body, h);
  };
  const sig = req.headers['payment-signature'];
  if (!sig) return refuse('PAYMENT-SIGNATURE header is required');
  let p;
  try {
    p = unb64(sig);
  } catch {
    return send(400, { success: false, errorReason: 'invalid_payload' });
  }
  const v = p?.payload?.voucher;
  if (p.x402Version !== 2) return refuse('invalid_x402_version');
  if (p.accepted?.scheme !== 'batch-settlement') return refuse('unsupported_scheme');
  if (p.accepted?.network !== NETWORK || v?.chainId !== CHAIN_ID) return refuse('invalid_network');
  if (p.payload?.type !== 'voucher' || !v) return refuse('invalid_payload');
  if (v.streamId !== String(j.id)) return refuse('invalid_batch_settlement_movement_stream_mismatch');
  if (long(v.package) !== PKG) return refuse('invalid_payload');
  if (v.buyerPublicKey.toLowerCase() !== s.key.toLowerCase()) return refuse('invalid_signature');
  const amount = BigInt(v.cumulativeAmount);
  const ok = new Ed25519PublicKey(v.buyerPublicKey).verifySignature({
    message: voucherBytes(v.chainId, v.package, v.streamId, amount),
    signature: new Ed25519Signature(v.signature),
  });
  if (!ok) return refuse('invalid_signature');
  if (amount > s.escrow) return refuse('insufficient_funds');
  if (amount < s.vouchered + s.rate) return refuse('invalid_batch_settlement_movement_cumulative_amount_mismatch');
  s.vouchered = amount;
  s.voucherSig = v.signature;
  publishStream('voucher', s);
  const secs = served.get(j.id) ?? 0;
  const logs = Array.from({ length: Math.min(secs, 8) }, (_, i) => `[t+${secs - Math.min(secs, 8) + i + 1}s] step ${secs - Math.min(secs, 8) + i + 1}: loss=${(1 / (secs - Math.min(secs, 8) + i + 2)).toFixed(4)}`).join('\n');
  send(
    200,
    {
      jobId: String(j.id),
      status: j.status,
      secondsServed: secs,
      paidSeconds: Number(amount / s.rate),
      reason: j.reason,
      outputUrl: j.outputUrl,
      outputCid: j.outputCid,
      logs,
    },
    {
      'PAYMENT-RESPONSE': b64({
        success: true,
        payer: '',
        transaction: '',
        network: NETWORK,
        amount: '',
        extra: { commitmentId: `0x${Buffer.from(voucherBytes(CHAIN_ID, PKG, j.id, amount)).toString('hex').slice(0, 16)}`, chargedCumulativeAmount: String(amount) },
      }),
    },
  );
}

async function meter() {
  if (!providerAddr) return;
  for (const j of jobs.values()) {
    if (j.provider !== providerAddr) continue;
    const s = streams.get(j.id);
    if (!s || s.status !== 'open') continue;
    if (j.status === 'pending' && s.vouchered > 0n && !started.has(j.id) && providerAccount) {
      started.add(j.id);
      void submit(providerAccount, 'job_registry::update_job_status', ['u64', 'u8'], [String(j.id), '1']).then(() => log(`job ${j.id} started`));
      continue;
    }
    if (j.status !== 'running') continue;
    const secs = served.get(j.id) ?? 0;
    if (BigInt(secs + 1) * s.rate <= s.vouchered && BigInt(secs) < j.maxDurationSecs) {
      served.set(j.id, secs + 1);
      s.attested = secs + 1;
      ticks.push({ job: j.id, provider: j.provider, atMs: Date.now(), amount: s.rate });
      publishStream('tick', s);
    }
  }
}

async function settle() {
  for (const s of streams.values()) {
    const j = jobs.get(s.id);
    if (!j || s.status !== 'open' || s.settling) continue;
    const terminal = ['completed', 'failed', 'cancelled'].includes(j.status);
    s.settling = true;
    try {
      const sig = s.voucherSig ? Buffer.from(s.voucherSig.slice(2), 'hex') : new Uint8Array();
      if (terminal) {
        await submit(settler, 'payment_stream::close_stream', ['u64', 'u64', 'vector<u8>'], [String(s.id), String(s.vouchered), sig]);
        log(`stream ${s.id} closed`);
      } else if (s.voucherSig && s.vouchered > s.settled) {
        await submit(settler, 'payment_stream::settle_batch', ['vector<u64>', 'vector<u64>', 'vector<vector<u8>>'], [[String(s.id)], [String(s.vouchered)], [sig]]);
        log(`stream ${s.id} settled through ${s.vouchered}`);
      }
    } catch (e) {
      log('settler:', e.message);
    } finally {
      s.settling = false;
    }
  }
}

function heartbeat() {
  const p = providerAddr ? providers.get(providerAddr) : null;
  if (!p) return;
  p.lastHeartbeatAt = Date.now();
  live.emit('availability', { provider: p.address, available: p.isActive, source: 'heartbeat', atMs: String(p.lastHeartbeatAt) });
}

// ---------------------------------------------------------------- HTTP
async function proxyNode(req, res) {
  if (NO_CHAIN) {
    // No chain: the ledger info (wallet libraries ask for the chain id), 404 for the rest.
    const p = new URL(req.url, 'http://x').pathname;
    const info = { chain_id: CHAIN_ID, epoch: '1', ledger_version: '0', oldest_ledger_version: '0', ledger_timestamp: String(Date.now() * 1000), node_role: 'full_node', oldest_block_height: '0', block_height: '0' };
    res.writeHead(p === '/node/v1' || p === '/node/v1/' ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(p === '/node/v1' || p === '/node/v1/' ? info : { message: 'not found (no chain)', error_code: 'web_framework_error' }));
    return;
  }
  const url = `${DEVNET}${req.url.replace(/^\/node/, '')}`;
  let body;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    body = Buffer.concat(chunks);
  }
  const headers = {};
  for (const h of ['content-type', 'accept']) if (req.headers[h]) headers[h] = req.headers[h];
  const r = await fetch(url, { method: req.method, headers, body });
  const out = Buffer.from(await r.arrayBuffer());
  const h = {};
  r.headers.forEach((v, k) => {
    if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(k)) h[k] = v;
  });
  res.writeHead(r.status, h).end(out);
}

const web = http.createServer((req, res) => {
  const p = new URL(req.url, 'http://x').pathname;
  if (p === '/config.json') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(
      JSON.stringify({
        graphqlHttp: '/graphql',
        graphqlWs: '/graphql/ws',
        restBase: '/api/v1',
        nodeUrl: '/node/v1',
        faucetUrl: '/node',
        chainId: CHAIN_ID,
        network: NETWORK,
        package: PKG,
        explorerTxUrl: 'https://explorer.movementnetwork.xyz/txn/{hash}?network=custom',
        explorerAccountUrl: 'https://explorer.movementnetwork.xyz/account/{address}?network=custom',
      }),
    );
    return;
  }
  if (p === '/graphql' && req.method === 'POST') return void graphqlHttp(req, res).catch((e) => res.writeHead(500).end(String(e)));
  if (p.startsWith('/node/')) return void proxyNode(req, res).catch((e) => res.writeHead(502).end(String(e)));
  serveStatic(OUT_DIR, req, res);
});
const wss = new WebSocketServer({ server: web, path: '/graphql/ws' });
useServer({ schema, roots: { query: root, subscription: subscriptionRoot }, execute, subscribe }, wss);

const x402Server = http.createServer(x402);

function seed() {
  const now = Date.now();
  const mk = (address, gpuType, vramGb, price, stake, done, failed) =>
    providers.set(address, {
      address,
      gpuType,
      vramGb,
      pricePerSecond: price,
      stake,
      isActive: true,
      registeredAt: now - 86_400_000,
      lastHeartbeatAt: now - 3000,
      jobsCompleted: done,
      jobsFailed: failed,
    });
  mk(SEED_PROVIDER, 'NVIDIA H100', 80, 2000n, 1_000_000_000n, 41, 1);
  mk('0x' + '0a'.repeat(32), 'NVIDIA A100', 40, 1200n, 300_000_000n, 12, 3);
  mk('0x' + '0b'.repeat(32), 'RTX 4090', 24, 500n, 100_000_000n, 0, 0);
  const buyer = '0x' + 'b0'.repeat(32);
  const key = process.env.SEED_SESSION_KEY ? keyOf(process.env.SEED_SESSION_KEY).publicKey().toString() : '0x' + '00'.repeat(32);
  const job = (id, status, openedAt, endedAt) => {
    jobs.set(id, {
      id,
      buyer,
      provider: SEED_PROVIDER,
      dockerImage: 'ghcr.io/example/train:1.4',
      status,
      escrowAmount: 1_200_000n,
      maxDurationSecs: 600n,
      pricePerSecond: 2000n,
      createdAt: openedAt,
      startedAt: openedAt + 1000,
      endedAt,
      exitCode: status === 'completed' ? '0' : null,
      reason: status === 'completed' ? 'exited 0' : '',
      outputUrl: status === 'completed' ? 'file:///var/lib/computestream/artifacts/bafkrei' : null,
      outputCid: status === 'completed' ? 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku' : null,
    });
    streams.set(id, {
      id,
      buyer,
      provider: SEED_PROVIDER,
      key,
      rate: 2000n,
      escrow: 1_200_000n,
      attested: 0,
      vouchered: 0n,
      voucherSig: null,
      settled: 0n,
      refunded: 0n,
      status: 'open',
      openedAt,
      closedAt: null,
      settlements: [],
      settling: false,
    });
  };
  // Job 1: ran 300 s, settled twice, closed with a refund.
  const t1 = now - 3_600_000;
  job(1, 'completed', t1, t1 + 301_000);
  const s1 = streams.get(1);
  for (let i = 1; i <= 300; i++) ticks.push({ job: 1, provider: SEED_PROVIDER, atMs: t1 + 1000 + i * 1000, amount: 2000n });
  s1.attested = 300;
  s1.vouchered = 604_000n;
  s1.settled = 600_000n;
  s1.refunded = 600_000n;
  s1.status = 'closed';
  s1.closedAt = t1 + 305_000;
  s1.settlements.push(
    { version: '1201', cumulativeAmount: '300000', paidNow: '300000', paidTotal: '300000', settledAt: iso(t1 + 151_000) },
    { version: '1377', cumulativeAmount: '600000', paidNow: '300000', paidTotal: '600000', settledAt: iso(t1 + 305_000) },
  );
  // Job 2: running for 90 s, paid through 92 s, one settlement.
  const t2 = now - 91_000;
  job(2, 'running', t2, null);
  const s2 = streams.get(2);
  for (let i = 1; i <= 90; i++) ticks.push({ job: 2, provider: SEED_PROVIDER, atMs: t2 + 1000 + i * 1000, amount: 2000n });
  s2.attested = 90;
  served.set(2, 90);
  s2.vouchered = 184_000n;
  s2.settled = 120_000n;
  s2.settlements.push({ version: '2044', cumulativeAmount: '120000', paidNow: '120000', paidTotal: '120000', settledAt: iso(t2 + 61_000) });
}

if (NO_CHAIN) seed();
else await fund(settler.accountAddress.toStringLong(), 100_000_000_000);
web.listen(WEB_PORT, '127.0.0.1');
x402Server.listen(X402_PORT, '127.0.0.1');
log(`mock stack: web http://127.0.0.1:${WEB_PORT}/  x402 ${X402_URL}  devnet ${DEVNET}  provider ${providerAddr ?? '(none)'}`);

let stopping = false;
const loop = async (fn, ms) => {
  while (!stopping) {
    try {
      await fn();
    } catch (e) {
      log(fn.name, e.message);
    }
    await new Promise((r) => setTimeout(r, ms));
  }
};
if (!NO_CHAIN) {
  void loop(indexOnce, 300);
  void loop(settle, SETTLE_EVERY_MS);
}
void loop(meter, 1000);
void loop(heartbeat, 5000);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    web.close();
    x402Server.close();
    process.exit(0);
  });
}
