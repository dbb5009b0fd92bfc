import { Ed25519PrivateKey } from '@aptos-labs/ts-sdk';
import { describe, expect, it } from 'vitest';

import { cidV1Raw, downloadOutputs, outputsAccessMessage, signOutputsAccess } from '@/lib/outputs';

const key = new Ed25519PrivateKey(`0x${'07'.repeat(32)}`);

describe('outputs', () => {
  it('computes the CIDs every IPFS implementation gives (the executor test vectors)', async () => {
    expect(await cidV1Raw(new Uint8Array())).toBe('bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
    expect(await cidV1Raw(new TextEncoder().encode('hello world\n'))).toBe(
      'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4',
    );
  });

  it('signs the message domain/src/outputs_access.rs checks', () => {
    const msg = new TextDecoder().decode(outputsAccessMessage(4, '0xc5', 9n, 1234n));
    expect(msg).toBe(`computestream-outputs/v1|4|0x${'0'.repeat(62)}c5|9|1234`);
    const header = signOutputsAccess(key, 4, '0xc5', 9n, 1234n);
    const [expires, sig] = header.split('.');
    expect(expires).toBe('1234');
    expect(sig).toMatch(/^0x[0-9a-f]{128}$/);
    expect(key.publicKey().verifySignature({ message: outputsAccessMessage(4, '0xc5', 9n, 1234n), signature: key.sign(outputsAccessMessage(4, '0xc5', 9n, 1234n)) })).toBe(true);
  });

  it('checks what it received against the CID on chain', async () => {
    const body = new TextEncoder().encode('hello world\n');
    let seen: string | null = null;
    const fetchImpl = (async (_url: string, init?: RequestInit) => {
      seen = (init?.headers as Record<string, string>)['OUTPUTS-AUTHORIZATION'] ?? null;
      return new Response(body, { status: 200 });
    }) as unknown as typeof fetch;
    const opts = { endpoint: 'http://p:1/', jobId: 9n, key, chainId: 4, pkg: '0xc5', nowMs: 1000, fetchImpl };
    const got = await downloadOutputs({ ...opts, expectedCid: 'bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4' });
    expect(new TextDecoder().decode(got)).toBe('hello world\n');
    expect(seen).toMatch(/^61000\.0x/);
    await expect(downloadOutputs({ ...opts, expectedCid: 'bafkreiother' })).rejects.toThrow(/chain records bafkreiother/);
    const refusing = (async () =>
      new Response(JSON.stringify({ error: 'outputs-authorization: the signature is not the stream\'s voucher key\'s' }), { status: 401 })) as unknown as typeof fetch;
    await expect(downloadOutputs({ ...opts, fetchImpl: refusing, expectedCid: 'x' })).rejects.toThrow(/401: outputs-authorization/);
  });
});
