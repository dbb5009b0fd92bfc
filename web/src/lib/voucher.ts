/**
 * x402 batch-settlement vouchers on Movement: the BCS of the Move struct
 *
 *   struct VoucherMessage { domain: vector<u8>, chain_id: u8, package: address,
 *                           stream_id: u64, cumulative_amount: u64 }
 *
 * signed (raw ed25519, no prefix, no hash) by the job's session key. Pinned by
 * move/scenarios/voucher_vector.json (see test/voucher.test.ts).
 */
import { Ed25519PrivateKey, Serializer } from '@aptos-labs/ts-sdk';

import { toAccountAddress } from './address';
import { U64_MAX } from './amount';
import { toHex } from './hex';

export const VOUCHER_DOMAIN = 'computestream::voucher::v1';

export interface VoucherMessage {
  chainId: number;
  /** The package address, any form `AccountAddress.from` accepts. */
  packageAddress: string;
  streamId: bigint;
  cumulativeAmount: bigint;
}

export interface SignedVoucherPayload {
  streamId: string;
  cumulativeAmount: string;
  chainId: number;
  package: string;
  buyerPublicKey: string;
  signature: string;
}

function checkU64(v: bigint, what: string): void {
  if (v < 0n || v > U64_MAX) throw new RangeError(`${what} is not a u64: ${v.toString()}`);
}

/** The exact bytes the buyer signs. */
export function voucherSigningBytes(m: VoucherMessage): Uint8Array {
  if (!Number.isInteger(m.chainId) || m.chainId < 0 || m.chainId > 255) {
    throw new RangeError(`chain id is not a u8: ${m.chainId}`);
  }
  checkU64(m.streamId, 'stream id');
  checkU64(m.cumulativeAmount, 'cumulative amount');
  const s = new Serializer();
  s.serializeBytes(new TextEncoder().encode(VOUCHER_DOMAIN));
  s.serializeU8(m.chainId);
  toAccountAddress(m.packageAddress).serialize(s);
  s.serializeU64(m.streamId);
  s.serializeU64(m.cumulativeAmount);
  return s.toUint8Array();
}

/** Signs a voucher with the session key; the result is the x402 `payload.voucher`. */
export function signVoucher(key: Ed25519PrivateKey, m: VoucherMessage): SignedVoucherPayload {
  const bytes = voucherSigningBytes(m);
  const signature = key.signBytes(bytes);
  return {
    streamId: m.streamId.toString(),
    cumulativeAmount: m.cumulativeAmount.toString(),
    chainId: m.chainId,
    package: toAccountAddress(m.packageAddress).toStringLong(),
    buyerPublicKey: toHex(key.publicKey().toUint8Array()),
    signature: toHex(signature.toUint8Array()),
  };
}
