/**
 * Signing in to the gateway with the connected wallet (the gateway's `signInChallenge` /
 * `signIn`, graphql/src/auth.rs): the wallet signs the challenge through AIP-62
 * `signMessage({message, nonce})`, and the gateway checks the signature over the wallet's
 * `fullMessage`. The session token (bound to the address) unlocks a job's off-chain records
 * for its buyer and provider. Tokens are kept per address in sessionStorage until they expire.
 */
import type { GraphQLClient } from './graphql';

export const SIGN_IN_CHALLENGE = `
  mutation SignInChallenge($address: String!) {
    signInChallenge(address: $address) { nonce message }
  }
`;

export const SIGN_IN = `
  mutation SignIn($address: String!, $publicKey: String!, $nonce: String!, $signature: String!, $fullMessage: String) {
    signIn(address: $address, publicKey: $publicKey, nonce: $nonce, signature: $signature, fullMessage: $fullMessage) {
      token address expiresAtMs
    }
  }
`;

export interface StoredSession {
  token: string;
  address: string;
  expiresAtMs: number;
}

/** What a wallet's signMessage gives back (the parts the gateway needs). */
export interface SignedMessage {
  fullMessage: string;
  /** Hex (0x…) ed25519 signature over `fullMessage`. */
  signature: string;
}

const KEY = (address: string) => `cs.session.${address.toLowerCase()}`;

/** A stored session for `address` that is still valid a minute from `now`, if any. */
export function storedSession(storage: Pick<Storage, 'getItem'>, address: string, now: number): StoredSession | null {
  const raw = storage.getItem(KEY(address));
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as StoredSession;
    if (typeof s.token !== 'string' || typeof s.expiresAtMs !== 'number') return null;
    return s.expiresAtMs > now + 60_000 ? s : null;
  } catch {
    return null;
  }
}

export function storeSession(storage: Pick<Storage, 'setItem'>, s: StoredSession): void {
  storage.setItem(KEY(s.address), JSON.stringify(s));
}

/** Challenge → wallet signature → session. Throws the gateway's or the wallet's error. */
export async function signIn(
  gql: GraphQLClient,
  address: string,
  publicKey: string,
  sign: (message: string, nonce: string) => Promise<SignedMessage>,
): Promise<StoredSession> {
  const { signInChallenge } = await gql.query<{ signInChallenge: { nonce: string; message: string } }>(SIGN_IN_CHALLENGE, {
    address,
  });
  const signed = await sign(signInChallenge.message, signInChallenge.nonce);
  const { signIn: s } = await gql.query<{ signIn: { token: string; address: string; expiresAtMs: string } }>(SIGN_IN, {
    address,
    publicKey,
    nonce: signInChallenge.nonce,
    signature: signed.signature,
    fullMessage: signed.fullMessage,
  });
  return { token: s.token, address: s.address, expiresAtMs: Number(s.expiresAtMs) };
}
