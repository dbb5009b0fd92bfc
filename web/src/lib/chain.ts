/**
 * The chain side: the node client (ts-sdk, against config.nodeUrl), the package's entry
 * function payloads (with their ABI, so no wallet needs to fetch it), waiting for a
 * transaction, and reading the job id from `JobCreated`.
 */
import {
  Aptos,
  AptosConfig,
  Network,
  parseTypeTag,
  type CommittedTransactionResponse,
  type EntryFunctionABI,
  type InputEntryFunctionData,
  type MoveFunctionId,
} from '@aptos-labs/ts-sdk';

import { ChainError, errorText } from './abort';
import { toAccountAddress } from './address';
import type { AppConfig } from './config';

export function makeAptos(config: AppConfig): Aptos {
  return new Aptos(
    new AptosConfig({
      network: Network.CUSTOM,
      fullnode: config.nodeUrl,
      faucet: config.faucetUrl ?? undefined,
    }),
  );
}

/** The parameter types (after `&signer`) of the entry functions this app calls. */
const ENTRY_PARAMS = {
  'provider_registry::register_provider': ['0x1::string::String', 'u64', 'u64', 'u64'],
  'provider_registry::update_availability': ['bool'],
  'provider_registry::update_price': ['u64'],
  'provider_registry::unstake': [],
  'job_registry::create_job': ['address', '0x1::string::String', 'u64', 'u64', 'vector<u8>'],
  'job_registry::update_job_status': ['u64', 'u8'],
  'escrow::deposit': ['u64', 'u64'],
} as const;

export type EntryName = keyof typeof ENTRY_PARAMS;

export function entryAbi(name: EntryName): EntryFunctionABI {
  return {
    typeParameters: [],
    parameters: ENTRY_PARAMS[name].map((t) => parseTypeTag(t)),
    signers: 1,
  };
}

type Arg = string | boolean | Uint8Array;

/** An entry function payload of the package, for `signAndSubmitTransaction`. */
export function entry(config: AppConfig, name: EntryName, args: Arg[]): InputEntryFunctionData {
  if (args.length !== ENTRY_PARAMS[name].length) {
    throw new Error(`${name} takes ${ENTRY_PARAMS[name].length} arguments`);
  }
  return {
    function: `${config.package}::${name}` as MoveFunctionId,
    typeArguments: [],
    functionArguments: args,
    abi: entryAbi(name),
  };
}

export const payloads = {
  registerProvider: (c: AppConfig, gpuType: string, vramGb: bigint, pricePerSecond: bigint, stake: bigint) =>
    entry(c, 'provider_registry::register_provider', [
      gpuType,
      vramGb.toString(),
      pricePerSecond.toString(),
      stake.toString(),
    ]),
  updateAvailability: (c: AppConfig, isActive: boolean) =>
    entry(c, 'provider_registry::update_availability', [isActive]),
  updatePrice: (c: AppConfig, pricePerSecond: bigint) =>
    entry(c, 'provider_registry::update_price', [pricePerSecond.toString()]),
  unstake: (c: AppConfig) => entry(c, 'provider_registry::unstake', []),
  createJob: (
    c: AppConfig,
    provider: string,
    dockerImage: string,
    maxDurationSecs: bigint,
    escrow: bigint,
    voucherPublicKey: Uint8Array,
  ) =>
    entry(c, 'job_registry::create_job', [
      toAccountAddress(provider).toStringLong(),
      dockerImage,
      maxDurationSecs.toString(),
      escrow.toString(),
      voucherPublicKey,
    ]),
  /** `update_job_status(job_id, 4)`: the buyer cancels. */
  cancelJob: (c: AppConfig, jobId: bigint) => entry(c, 'job_registry::update_job_status', [jobId.toString(), '4']),
  deposit: (c: AppConfig, jobId: bigint, amount: bigint) =>
    entry(c, 'escrow::deposit', [jobId.toString(), amount.toString()]),
};

/** Waits for a submitted transaction; throws a ChainError (abort named) when it failed. */
export async function waitForSuccess(aptos: Aptos, hash: string): Promise<CommittedTransactionResponse> {
  let tx: CommittedTransactionResponse;
  try {
    tx = await aptos.waitForTransaction({
      transactionHash: hash,
      options: { checkSuccess: false, timeoutSecs: 60 },
    });
  } catch (e) {
    throw new ChainError(errorText(e), hash);
  }
  if ('success' in tx && tx.success === false) {
    throw new ChainError(tx.vm_status, hash);
  }
  return tx;
}

/** `0x…::module::Name<…>` split into its address, module and name. */
export function splitStructTag(type: string): { address: string; module: string; name: string } | null {
  const m = /^(0x[0-9a-fA-F]+)::(\w+)::(\w+)/.exec(type);
  if (!m || !m[1] || !m[2] || !m[3]) return null;
  return { address: m[1], module: m[2], name: m[3] };
}

/** Whether an event type is `<package>::module::name`, comparing addresses as addresses. */
export function isPackageEvent(type: string, pkg: string, module: string, name: string): boolean {
  const t = splitStructTag(type);
  if (!t || t.module !== module || t.name !== name) return false;
  try {
    return toAccountAddress(t.address).equals(toAccountAddress(pkg));
  } catch {
    return false;
  }
}

interface EventLike {
  type: string;
  data: unknown;
}

/** The job id of the `JobCreated` event of a committed `create_job` transaction. */
export function jobIdFromTransaction(tx: { events?: EventLike[] }, pkg: string): bigint | null {
  for (const ev of tx.events ?? []) {
    if (isPackageEvent(ev.type, pkg, 'job_registry', 'JobCreated')) {
      const id = (ev.data as { job_id?: unknown } | null)?.job_id;
      if (typeof id === 'string' && /^\d+$/.test(id)) return BigInt(id);
      if (typeof id === 'number' && Number.isSafeInteger(id)) return BigInt(id);
    }
  }
  return null;
}

/** The account's MOVE balance in octas, or null when it cannot be read. */
export async function balanceOf(config: AppConfig, address: string): Promise<bigint | null> {
  const url = `${config.nodeUrl}/accounts/${toAccountAddress(address).toStringLong()}/resource/${encodeURIComponent(
    '0x1::coin::CoinStore<0x1::aptos_coin::AptosCoin>',
  )}`;
  try {
    const r = await fetch(url);
    if (r.status === 404) return 0n;
    if (!r.ok) return null;
    const body = (await r.json()) as { data?: { coin?: { value?: string } } };
    const v = body.data?.coin?.value;
    return typeof v === 'string' && /^\d+$/.test(v) ? BigInt(v) : null;
  } catch {
    return null;
  }
}

/** The dev faucet of the local devnet: `POST {faucetUrl}/mint?address=…&amount=…`. */
export async function fundFromFaucet(config: AppConfig, address: string, amount: bigint): Promise<void> {
  if (!config.faucetUrl) throw new Error('this network has no faucet');
  const url = `${config.faucetUrl}/mint?address=${toAccountAddress(address).toStringLong()}&amount=${amount.toString()}`;
  const r = await fetch(url, { method: 'POST' });
  if (!r.ok) throw new Error(`faucet answered ${r.status}: ${await r.text()}`);
  const hashes = (await r.json()) as unknown;
  const hash = Array.isArray(hashes) && typeof hashes[0] === 'string' ? hashes[0] : null;
  if (hash) await waitForSuccess(makeAptos(config), hash);
}

/** The hash of the transaction at `version` (settlements are recorded by version). */
export async function hashOfVersion(config: AppConfig, version: string): Promise<string | null> {
  try {
    const r = await fetch(`${config.nodeUrl}/transactions/by_version/${encodeURIComponent(version)}`);
    if (!r.ok) return null;
    const body = (await r.json()) as { hash?: string };
    return body.hash ?? null;
  } catch {
    return null;
  }
}
