import type { TxState } from '@/lib/hooks';

import { TxLink } from './Address';
import { ErrorBox } from './ErrorBox';

/** What the last wallet transaction is doing. */
export function TxStatus({ tx }: { tx: TxState }) {
  if (tx.phase === 'idle') return null;
  return (
    <div className="mt-3 space-y-2 text-sm" data-testid="tx-status" data-phase={tx.phase}>
      {tx.phase === 'signing' && <p className="text-slate-600">{tx.label}: waiting for the wallet…</p>}
      {tx.phase === 'confirming' && (
        <p className="text-slate-600">
          {tx.label}: submitted {tx.hash && <TxLink hash={tx.hash} />}, waiting for the chain…
        </p>
      )}
      {tx.phase === 'done' && (
        <p className="text-emerald-700">
          {tx.label}: committed {tx.hash && <TxLink hash={tx.hash} />}
        </p>
      )}
      {tx.phase === 'failed' && (
        <div>
          {tx.hash && (
            <p className="mb-1 text-slate-600">
              {tx.label}: <TxLink hash={tx.hash} />
            </p>
          )}
          <ErrorBox error={tx.error} title={`${tx.label ?? 'Transaction'} failed`} />
        </div>
      )}
    </div>
  );
}
