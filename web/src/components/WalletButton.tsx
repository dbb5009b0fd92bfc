'use client';

import { useWallet, WalletReadyState } from '@aptos-labs/wallet-adapter-react';
import { useEffect, useRef, useState } from 'react';

import { useApp } from '@/app/providers';
import { errorText } from '@/lib/abort';
import { shortAddress } from '@/lib/format';

/** Connects an AIP-62 (wallet standard) wallet. */
export function WalletButton() {
  const { config, session, sessionError } = useApp();
  const { connected, account, network, wallet, wallets, notDetectedWallets, connect, disconnect, isLoading } = useWallet();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ref = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const close = (e: MouseEvent) => {
      if (ref.current && !ref.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  const installed = wallets.filter((w) => w.readyState === WalletReadyState.Installed);
  const wrongChain = connected && network && network.chainId !== undefined && network.chainId !== config.chainId;

  if (connected && account) {
    const addr = account.address.toString();
    return (
      <div className="relative" ref={ref}>
        <button type="button" className="btn-secondary" onClick={() => setOpen((o) => !o)} data-testid="wallet-connected">
          {wallet?.icon && (
            // eslint-disable-next-line @next/next/no-img-element
            <img src={wallet.icon} alt="" className="h-4 w-4" />
          )}
          <span className="font-mono" data-address={addr}>
            {shortAddress(addr)}
          </span>
          {wrongChain && <span className="badge bg-rose-100 text-rose-700">chain {network?.chainId}</span>}
          <span
            className={`h-2 w-2 rounded-full ${session ? 'bg-emerald-500' : sessionError ? 'bg-rose-500' : 'bg-slate-300'}`}
            data-testid="session"
            data-state={session ? 'signed-in' : sessionError ? 'failed' : 'signing-in'}
            title={session ? 'signed in to the gateway' : (sessionError ?? 'signing in to the gateway…')}
          />
        </button>
        {open && (
          <div className="absolute right-0 z-20 mt-2 w-72 rounded-xl border border-slate-200 bg-white p-3 text-sm shadow-lg">
            <div className="text-xs text-slate-500">{wallet?.name}</div>
            <div className="mt-1 break-all font-mono text-xs">{addr}</div>
            {sessionError && (
              <p className="mt-2 text-xs text-rose-700" data-testid="session-error">
                Not signed in to the gateway (your jobs&apos; private records stay hidden): {sessionError}
              </p>
            )}
            {wrongChain && (
              <p className="mt-2 text-xs text-rose-700">
                The wallet is on chain {network?.chainId}; this app is on {config.network}. Switch networks in the wallet.
              </p>
            )}
            <button
              type="button"
              className="btn-secondary mt-3 w-full"
              onClick={() => {
                setOpen(false);
                disconnect();
              }}
            >
              Disconnect
            </button>
          </div>
        )}
      </div>
    );
  }

  return (
    <div className="relative" ref={ref}>
      <button type="button" className="btn-primary" onClick={() => setOpen((o) => !o)} disabled={isLoading} data-testid="connect-wallet">
        {isLoading ? 'Connecting…' : 'Connect wallet'}
      </button>
      {open && (
        <div className="absolute right-0 z-20 mt-2 w-72 rounded-xl border border-slate-200 bg-white p-3 shadow-lg">
          {installed.length === 0 && (
            <p className="text-sm text-slate-600">
              No AIP-62 wallet found in this browser. Install a Movement-capable wallet (for example Nightly) and reload.
            </p>
          )}
          <ul className="space-y-1">
            {installed.map((w) => (
              <li key={w.name}>
                <button
                  type="button"
                  className="flex w-full items-center gap-2 rounded-lg px-2 py-1.5 text-left text-sm hover:bg-slate-100"
                  data-testid={`wallet-option-${w.name}`}
                  onClick={() => {
                    setError(null);
                    try {
                      connect(w.name);
                      setOpen(false);
                    } catch (e) {
                      setError(errorText(e));
                    }
                  }}
                >
                  {w.icon && (
                    // eslint-disable-next-line @next/next/no-img-element
                    <img src={w.icon} alt="" className="h-5 w-5" />
                  )}
                  {w.name}
                </button>
              </li>
            ))}
          </ul>
          {notDetectedWallets.length > 0 && (
            <details className="mt-2 text-xs text-slate-500">
              <summary className="cursor-pointer">Other wallets</summary>
              <ul className="mt-1 space-y-1">
                {notDetectedWallets.slice(0, 8).map((w) => (
                  <li key={w.name}>
                    <a href={w.url} target="_blank" rel="noreferrer" className="hover:underline">
                      {w.name} (install)
                    </a>
                  </li>
                ))}
              </ul>
            </details>
          )}
          {error && <p className="mt-2 text-xs text-rose-700">{error}</p>}
        </div>
      )}
    </div>
  );
}
