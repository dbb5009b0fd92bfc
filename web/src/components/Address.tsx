'use client';

import { useState } from 'react';

import { useApp } from '@/app/providers';
import { explorerAccount } from '@/lib/config';
import { longAddress, shortAddress } from '@/lib/format';

/** A shortened address with a copy button and, when configured, an explorer link. */
export function Address({ address, link = true }: { address: string; link?: boolean }) {
  const { config } = useApp();
  const [copied, setCopied] = useState(false);
  const long = longAddress(address);
  const href = link ? explorerAccount(config, long) : null;
  const copy = () => {
    void navigator.clipboard
      ?.writeText(long)
      .then(() => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1200);
      })
      .catch(() => undefined);
  };
  return (
    <span className="inline-flex items-center gap-1 font-mono text-sm" title={long}>
      {href ? (
        <a href={href} target="_blank" rel="noreferrer" className="text-indigo-700 hover:underline">
          {shortAddress(long)}
        </a>
      ) : (
        <span>{shortAddress(long)}</span>
      )}
      <button
        type="button"
        onClick={copy}
        className="rounded px-1 text-xs text-slate-400 hover:bg-slate-100 hover:text-slate-700"
        aria-label={`copy ${long}`}
        title="Copy the full address"
      >
        {copied ? (
          <svg viewBox="0 0 16 16" className="h-3.5 w-3.5" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden>
            <path d="M3 8.5l3 3 7-7" />
          </svg>
        ) : (
          <svg viewBox="0 0 16 16" className="h-3.5 w-3.5" fill="none" stroke="currentColor" strokeWidth="1.5" aria-hidden>
            <rect x="5.5" y="5.5" width="8" height="8" rx="1.5" />
            <path d="M10.5 3.5v-1a1 1 0 0 0-1-1h-6a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h1" />
          </svg>
        )}
      </button>
    </span>
  );
}

/** A transaction hash linked to the explorer. */
export function TxLink({ hash, label }: { hash: string; label?: string }) {
  const { config } = useApp();
  const href = config.explorerTxUrl ? config.explorerTxUrl.replace('{hash}', encodeURIComponent(hash)) : null;
  const text = label ?? shortAddress(hash, 8, 6);
  return href ? (
    <a href={href} target="_blank" rel="noreferrer" className="font-mono text-sm text-indigo-700 hover:underline" title={hash}>
      {text}
    </a>
  ) : (
    <span className="font-mono text-sm" title={hash}>
      {text}
    </span>
  );
}
