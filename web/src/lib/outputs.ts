/**
 * Downloading a completed job's outputs from its provider (`GET /jobs/{id}/outputs` on the
 * x402 endpoint), checked against the CIDv1 the provider reported on chain.
 *
 * Access is the stream's voucher key's (the job's session key in this browser): it signs
 * `computestream-outputs/v1|{chainId}|{package, long form}|{jobId}|{expiresMs}` (raw
 * ed25519), sent as `OUTPUTS-AUTHORIZATION: {expiresMs}.{0x-hex signature}`; the rule is
 * `domain/src/outputs_access.rs`.
 */
import type { Ed25519PrivateKey } from '@aptos-labs/ts-sdk';

import { toAccountAddress } from './address';

import { toHex } from './hex';

export function outputsAccessMessage(chainId: number, pkg: string, jobId: bigint, expiresMs: bigint): Uint8Array {
  const longPkg = toAccountAddress(pkg).toStringLong();
  return new TextEncoder().encode(`computestream-outputs/v1|${chainId}|${longPkg}|${jobId}|${expiresMs}`);
}

export function signOutputsAccess(key: Ed25519PrivateKey, chainId: number, pkg: string, jobId: bigint, expiresMs: bigint): string {
  const sig = key.sign(outputsAccessMessage(chainId, pkg, jobId, expiresMs)).toUint8Array();
  return `${expiresMs}.${toHex(sig)}`;
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function base32Lower(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** The CIDv1 of `bytes` as a raw block, sha2-256, base32 (`bafkrei…`): what the chain records. */
export async function cidV1Raw(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  const cid = new Uint8Array(4 + digest.length);
  cid.set([0x01, 0x55, 0x12, 0x20]);
  cid.set(digest, 4);
  return `b${base32Lower(cid)}`;
}

export class OutputsError extends Error {}

/** Fetches and checks the outputs; throws {@link OutputsError} with the endpoint's reason or a CID mismatch. */
export async function downloadOutputs(opts: {
  endpoint: string;
  jobId: bigint;
  key: Ed25519PrivateKey;
  chainId: number;
  pkg: string;
  expectedCid: string;
  nowMs?: number;
  fetchImpl?: typeof fetch;
}): Promise<Uint8Array<ArrayBuffer>> {
  const expires = BigInt((opts.nowMs ?? Date.now()) + 60_000);
  const auth = signOutputsAccess(opts.key, opts.chainId, opts.pkg, opts.jobId, expires);
  const resp = await (opts.fetchImpl ?? fetch)(`${opts.endpoint.replace(/\/$/, '')}/jobs/${opts.jobId}/outputs`, {
    headers: { 'OUTPUTS-AUTHORIZATION': auth },
  });
  if (!resp.ok) {
    let reason = `${resp.status}`;
    try {
      const body = (await resp.json()) as { error?: string };
      if (body.error) reason = `${resp.status}: ${body.error}`;
    } catch {
      // not JSON: the status says it
    }
    throw new OutputsError(reason);
  }
  const bytes = new Uint8Array(await resp.arrayBuffer());
  const got = await cidV1Raw(bytes);
  if (got !== opts.expectedCid) {
    throw new OutputsError(`the outputs received have CID ${got}; the chain records ${opts.expectedCid}`);
  }
  return bytes;
}
