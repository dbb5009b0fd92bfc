'use client';

import { useWallet } from '@aptos-labs/wallet-adapter-react';
import { useCallback, useEffect, useState } from 'react';

import { useApp } from '@/app/providers';
import { errorText } from '@/lib/abort';
import { balanceOf, fundFromFaucet } from '@/lib/chain';

import { Address } from './Address';
import { Amount } from './Amount';

const FAUCET_AMOUNT = 10_000_000_000n; // 100 MOVE

/** The connected account, its balance, and the dev faucet where the network has one. */
export function AccountPanel({ refreshKey = 0 }: { refreshKey?: number }) {
  const { config } = useApp();
  const { account } = useWallet();
  const [balance, setBalance] = useState<bigint | null>(null);
  const [funding, setFunding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const address = account?.address.toString() ?? null;

  const refresh = useCallback(() => {
    if (!address) return;
    void balanceOf(config, address).then(setBalance);
  }, [address, config]);

  useEffect(() => {
    refresh();
    const t = setInterval(refresh, 10_000);
    return () => clearInterval(t);
  }, [refresh, refreshKey]);

  if (!address) return null;
  return (
    <div className="flex flex-wrap items-center gap-4 text-sm" data-testid="account-panel">
      <span>
        <span className="stat-label mr-2">Account</span>
        <Address address={address} />
      </span>
      <span>
        <span className="stat-label mr-2">Balance</span>
        <Amount octas={balance} testId="balance" />
      </span>
      {config.faucetUrl && (
        <button
          type="button"
          className="btn-secondary"
          disabled={funding}
          data-testid="faucet"
          onClick={() => {
            setFunding(true);
            setError(null);
            fundFromFaucet(config, address, FAUCET_AMOUNT)
              .then(refresh)
              .catch((e: unknown) => setError(errorText(e)))
              .finally(() => setFunding(false));
          }}
        >
          {funding ? 'Funding…' : 'Faucet: +100 MOVE'}
        </button>
      )}
      {error && <span className="text-xs text-rose-700">{error}</span>}
    </div>
  );
}

/** Asks for a wallet when none is connected. */
export function RequireWallet({ children, what }: { children: React.ReactNode; what: string }) {
  const { connected } = useWallet();
  if (!connected) {
    return (
      <div className="card text-center" data-testid="require-wallet">
        <p className="text-slate-600">Connect a wallet to {what}.</p>
        <p className="mt-1 text-xs text-slate-400">Use the button at the top right.</p>
      </div>
    );
  }
  return <>{children}</>;
}
