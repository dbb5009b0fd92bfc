'use client';

import { ErrorBox } from '@/components/ErrorBox';

export default function RouteError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div className="card space-y-3">
      <ErrorBox error={error} title="This page failed" />
      <button type="button" className="btn-secondary" onClick={reset}>
        Try again
      </button>
    </div>
  );
}
