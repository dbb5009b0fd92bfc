'use client';

import { Network, type Aptos } from '@aptos-labs/ts-sdk';
import { AptosWalletAdapterProvider, useWallet } from '@aptos-labs/wallet-adapter-react';
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';

import { Header } from '@/components/Header';
import { makeAptos } from '@/lib/chain';
import { loadConfig, type AppConfig } from '@/lib/config';
import { createGraphQLClient, type GraphQLClient } from '@/lib/graphql';
import { signIn, storedSession, storeSession } from '@/lib/session';

export interface AppContextValue {
  config: AppConfig;
  gql: GraphQLClient;
  aptos: Aptos;
  /** The address the gateway session is signed in as (queries re-run when it changes). */
  session: string | null;
  sessionError: string | null;
}

type BaseContext = Omit<AppContextValue, 'session' | 'sessionError'>;

function hexOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof (v as { toString: () => string }).toString === 'function') return (v as { toString: () => string }).toString();
  return '';
}

/**
 * Signs in to the gateway once a wallet is connected (one signMessage), or reuses this tab's
 * unexpired session for the address; signs out when the wallet disconnects.
 */
function WithSession({ base, children }: { base: BaseContext; children: ReactNode }) {
  const { account, connected, signMessage } = useWallet();
  const [session, setSession] = useState<string | null>(null);
  const [sessionError, setSessionError] = useState<string | null>(null);
  const address = connected && account ? account.address.toStringLong() : null;
  const publicKey = connected && account ? hexOf(account.publicKey) : '';

  useEffect(() => {
    let live = true;
    if (!address) {
      base.gql.setToken(null);
      setSession(null);
      return;
    }
    const stored = storedSession(window.sessionStorage, address, Date.now());
    if (stored) {
      base.gql.setToken(stored.token);
      setSession(address);
      return;
    }
    base.gql.setToken(null);
    setSession(null);
    signIn(base.gql, address, publicKey, async (message, nonce) => {
      const out = await signMessage({ message, nonce, address: true, application: true, chainId: true });
      return { fullMessage: out.fullMessage, signature: hexOf(out.signature) };
    })
      .then((s) => {
        if (!live) return;
        storeSession(window.sessionStorage, s);
        base.gql.setToken(s.token);
        setSession(address);
        setSessionError(null);
      })
      .catch((e: unknown) => {
        console.warn('gateway sign-in:', e);
        if (live) setSessionError(e instanceof Error ? e.message : String(e));
      });
    return () => {
      live = false;
    };
    // signMessage changes identity on every render of the adapter; the address decides.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [address, publicKey, base]);

  const value = useMemo(() => ({ ...base, session, sessionError }), [base, session, sessionError]);
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const v = useContext(AppContext);
  if (!v) throw new Error('useApp outside AppProviders');
  return v;
}

function Shell({ children, header }: { children: ReactNode; header: ReactNode }) {
  return (
    <div className="min-h-screen">
      {header}
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </div>
  );
}

function StaticHeader() {
  return (
    <header className="border-b border-slate-200 bg-white">
      <div className="mx-auto flex h-14 max-w-7xl items-center px-4 font-semibold">ComputeStream</div>
    </header>
  );
}

/**
 * Loads /config.json, then provides the GraphQL client, the node client and the wallet.
 * `dappConfig.network` only configures the Aptos Connect (social login) wallets, which do not
 * serve Movement networks (and refuse a custom one), so they stay hidden; AIP-62 extension
 * wallets report their own network, checked against config.chainId.
 */
export function AppProviders({ children }: { children: ReactNode }) {
  const [config, setConfig] = useState<AppConfig | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    loadConfig()
      .then((c) => live && setConfig(c))
      .catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)));
    return () => {
      live = false;
    };
  }, []);

  const value = useMemo<BaseContext | null>(
    () =>
      config
        ? { config, gql: createGraphQLClient(config.graphqlHttp, config.graphqlWs), aptos: makeAptos(config) }
        : null,
    [config],
  );

  useEffect(() => () => value?.gql.dispose(), [value]);

  if (error) {
    return (
      <Shell header={<StaticHeader />}>
        <div className="card border-rose-200 bg-rose-50 text-rose-800" data-testid="config-error">
          <h1 className="font-semibold">The app could not load its configuration</h1>
          <p className="mt-2 font-mono text-sm">{error}</p>
          <p className="mt-2 text-sm">The gateway serves it at /config.json.</p>
        </div>
      </Shell>
    );
  }
  if (!value) {
    return (
      <Shell header={<StaticHeader />}>
        <p className="text-sm text-slate-500">Loading configuration…</p>
      </Shell>
    );
  }
  return (
    <AptosWalletAdapterProvider
      autoConnect
      disableTelemetry
      dappConfig={{
        network: Network.MAINNET,
        // The adapter always builds the Aptos Connect wallets (hidden below: they do not serve
        // Movement); point their node client at ours so that they reach no outside host.
        aptosConnect: { aptosClientConfig: { fullnode: value.config.nodeUrl } },
      }}
      hideWallets={['Petra Web', 'Continue with Google', 'Continue with Apple']}
      onError={(e: unknown) => console.warn('wallet:', e)}
    >
      <WithSession base={value}>
        <Shell header={<Header />}>{children}</Shell>
      </WithSession>
    </AptosWalletAdapterProvider>
  );
}
