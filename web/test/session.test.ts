import { describe, expect, it } from 'vitest';

import type { GraphQLClient } from '@/lib/graphql';
import { signIn, storedSession, storeSession } from '@/lib/session';

class MemoryStorage {
  private m = new Map<string, string>();
  getItem(k: string): string | null {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.m.set(k, v);
  }
}

describe('gateway sessions', () => {
  it('are kept per address until a minute before they expire', () => {
    const s = new MemoryStorage();
    storeSession(s, { token: 't', address: '0xAB', expiresAtMs: 1_000_000 });
    expect(storedSession(s, '0xab', 900_000)?.token).toBe('t');
    expect(storedSession(s, '0xab', 950_000)).toBeNull();
    expect(storedSession(s, '0xcd', 0)).toBeNull();
    s.setItem('cs.session.0xee', 'not json');
    expect(storedSession(s, '0xee', 0)).toBeNull();
  });

  it('sign in with the wallet signature over the full message', async () => {
    const calls: Record<string, unknown>[] = [];
    const gql = {
      query: async (doc: string, vars: Record<string, unknown>) => {
        calls.push(vars);
        if (doc.includes('signInChallenge')) return { signInChallenge: { nonce: 'n1', message: 'computestream sign-in' } };
        return { signIn: { token: 'tok', address: vars.address, expiresAtMs: '123' } };
      },
    } as unknown as GraphQLClient;
    const s = await signIn(gql, '0xa', '0xpk', async (message, nonce) => ({
      fullMessage: `APTOS\nmessage: ${message}\nnonce: ${nonce}`,
      signature: '0xsig',
    }));
    expect(s).toEqual({ token: 'tok', address: '0xa', expiresAtMs: 123 });
    expect(calls[1]).toMatchObject({
      nonce: 'n1',
      signature: '0xsig',
      fullMessage: 'APTOS\nmessage: computestream sign-in\nnonce: n1',
    });
  });
});
