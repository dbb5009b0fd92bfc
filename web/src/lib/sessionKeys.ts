/**
 * Per-job voucher keys. The page generates an ed25519 key for each job, names its public
 * key in `create_job`, and keeps the private key in localStorage under the job id, so that
 * paying every second needs no wallet prompt. The key can only move this job's escrow to
 * this job's provider (see payment_stream::open_stream).
 */
import { Ed25519PrivateKey, PrivateKey, PrivateKeyVariants } from '@aptos-labs/ts-sdk';

import { toHex } from './hex';

const PREFIX = 'computestream:voucher-key';

export interface KeyStore {
  getItem(k: string): string | null;
  setItem(k: string, v: string): void;
  removeItem(k: string): void;
  key(i: number): string | null;
  readonly length: number;
}

function store(): KeyStore | null {
  try {
    return typeof window !== 'undefined' ? window.localStorage : null;
  } catch {
    return null;
  }
}

function scope(chainId: number, pkg: string): string {
  return `${PREFIX}:${chainId}:${pkg.toLowerCase()}`;
}

interface Pending {
  privateKey: string;
  createdAtMs: number;
  txHash?: string;
}

export function generateSessionKey(): Ed25519PrivateKey {
  return Ed25519PrivateKey.generate();
}

function encodeKey(k: Ed25519PrivateKey): string {
  return PrivateKey.formatPrivateKey(toHex(k.toUint8Array()), PrivateKeyVariants.Ed25519);
}

function decodeKey(s: string): Ed25519PrivateKey | null {
  try {
    return new Ed25519PrivateKey(s);
  } catch {
    return null;
  }
}

export function publicKeyHex(k: Ed25519PrivateKey): string {
  return toHex(k.publicKey().toUint8Array());
}

/** Keeps a key whose job is not created yet (keyed by its public key). */
export function savePendingKey(chainId: number, pkg: string, k: Ed25519PrivateKey, s = store()): void {
  const p: Pending = { privateKey: encodeKey(k), createdAtMs: Date.now() };
  s?.setItem(`${scope(chainId, pkg)}:pending:${publicKeyHex(k)}`, JSON.stringify(p));
}

/** Records the create_job transaction of a pending key (to recover it if the page closes). */
export function notePendingTx(chainId: number, pkg: string, k: Ed25519PrivateKey, txHash: string, s = store()): void {
  const key = `${scope(chainId, pkg)}:pending:${publicKeyHex(k)}`;
  const raw = s?.getItem(key);
  if (!raw) return;
  const p = JSON.parse(raw) as Pending;
  p.txHash = txHash;
  s?.setItem(key, JSON.stringify(p));
}

export function dropPendingKey(chainId: number, pkg: string, k: Ed25519PrivateKey, s = store()): void {
  s?.removeItem(`${scope(chainId, pkg)}:pending:${publicKeyHex(k)}`);
}

/** Moves a pending key to its job id, once `JobCreated` named it. */
export function saveJobKey(chainId: number, pkg: string, jobId: bigint, k: Ed25519PrivateKey, s = store()): void {
  s?.setItem(`${scope(chainId, pkg)}:job:${jobId.toString()}`, encodeKey(k));
  dropPendingKey(chainId, pkg, k, s);
}

export function loadJobKey(chainId: number, pkg: string, jobId: bigint, s = store()): Ed25519PrivateKey | null {
  const raw = s?.getItem(`${scope(chainId, pkg)}:job:${jobId.toString()}`);
  return raw ? decodeKey(raw) : null;
}

/** Keys whose create_job was submitted but whose job id was never recorded. */
export function pendingKeys(chainId: number, pkg: string, s = store()): { key: Ed25519PrivateKey; txHash?: string; storageKey: string }[] {
  if (!s) return [];
  const prefix = `${scope(chainId, pkg)}:pending:`;
  const out: { key: Ed25519PrivateKey; txHash?: string; storageKey: string }[] = [];
  for (let i = 0; i < s.length; i++) {
    const k = s.key(i);
    if (!k || !k.startsWith(prefix)) continue;
    try {
      const p = JSON.parse(s.getItem(k) ?? '') as Pending;
      const key = decodeKey(p.privateKey);
      if (key) out.push({ key, txHash: p.txHash, storageKey: k });
    } catch {
      // not ours
    }
  }
  return out;
}
