import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import {
  Ed25519PrivateKey,
  Ed25519PublicKey,
  Ed25519Signature,
  PrivateKey,
  PrivateKeyVariants,
} from '@aptos-labs/ts-sdk';
import { describe, expect, it } from 'vitest';

import { fromHex, toHex } from '@/lib/hex';
import { signVoucher, voucherSigningBytes } from '@/lib/voucher';

interface Vector {
  chain_id: number;
  cumulative_amount: string;
  package: string;
  private_key_seed: string;
  public_key: string;
  signature: string;
  signing_bytes: string;
  stream_id: number;
}

// The vector shared with the Rust domain and the Move package.
const vectorPath = fileURLToPath(new URL('../../move/scenarios/voucher_vector.json', import.meta.url));
const vector = JSON.parse(readFileSync(vectorPath, 'utf8')) as Vector;

const message = {
  chainId: vector.chain_id,
  packageAddress: vector.package,
  streamId: BigInt(vector.stream_id),
  cumulativeAmount: BigInt(vector.cumulative_amount),
};

describe('voucher', () => {
  it('signs exactly the bytes of the shared vector', () => {
    expect(toHex(voucherSigningBytes(message))).toBe(vector.signing_bytes);
  });

  it('lays the bytes out as BCS of VoucherMessage', () => {
    const b = voucherSigningBytes(message);
    expect(b.length).toBe(1 + 26 + 1 + 32 + 8 + 8);
    expect(b[0]).toBe(26);
    expect(new TextDecoder().decode(b.slice(1, 27))).toBe('computestream::voucher::v1');
    expect(b[27]).toBe(4);
  });

  it('produces the public key and the signature of the shared vector', () => {
    const key = new Ed25519PrivateKey(PrivateKey.formatPrivateKey(vector.private_key_seed, PrivateKeyVariants.Ed25519));
    const signed = signVoucher(key, message);
    expect(signed.buyerPublicKey).toBe(vector.public_key);
    expect(signed.signature).toBe(vector.signature);
    expect(signed).toEqual({
      streamId: '7',
      cumulativeAmount: '123456',
      chainId: 4,
      package: vector.package,
      buyerPublicKey: vector.public_key,
      signature: vector.signature,
    });
    const ok = new Ed25519PublicKey(vector.public_key).verifySignature({
      message: fromHex(vector.signing_bytes),
      signature: new Ed25519Signature(vector.signature),
    });
    expect(ok).toBe(true);
  });

  it('accepts the package address in its short form', () => {
    const short = { ...message, packageAddress: '0x1' };
    const long = { ...message, packageAddress: '0x' + '0'.repeat(63) + '1' };
    expect(toHex(voucherSigningBytes(short))).toBe(toHex(voucherSigningBytes(long)));
  });

  it('refuses values outside u64 and u8', () => {
    expect(() => voucherSigningBytes({ ...message, cumulativeAmount: 1n << 64n })).toThrow(RangeError);
    expect(() => voucherSigningBytes({ ...message, streamId: -1n })).toThrow(RangeError);
    expect(() => voucherSigningBytes({ ...message, chainId: 256 })).toThrow(RangeError);
  });
});
