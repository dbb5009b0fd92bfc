'use client';

import { useWallet } from '@aptos-labs/wallet-adapter-react';
import type { CommittedTransactionResponse, InputEntryFunctionData } from '@aptos-labs/ts-sdk';
import { useCallback, useEffect, useRef, useState } from 'react';

import { useApp } from '@/app/providers';

import { explainError, type ChainErrorInfo } from './abort';
import { waitForSuccess } from './chain';
import type { Variables } from './graphql';
import { AFTER_WRITE_MS, CATCH_UP_ATTEMPTS, catchUpDelayMs, resubscribeDelayMs } from './backoff';

export interface QueryState<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  refetch: () => void;
}

/** A GraphQL query, run again when its variables change or on `refetch`. */
export function useQuery<T>(
  query: string,
  variables: Variables,
  opts: { skip?: boolean; pollMs?: number } = {},
): QueryState<T> {
  const { gql, session } = useApp();
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({
    data: null,
    error: null,
    loading: !opts.skip,
  });
  const [tick, setTick] = useState(0);
  const key = JSON.stringify(variables);
  const refetch = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    if (opts.skip) {
      setState((s) => ({ ...s, loading: false }));
      return;
    }
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    gql
      .query<T>(query, JSON.parse(key) as Variables, ctl.signal)
      .then((data) => !ctl.signal.aborted && setState({ data, error: null, loading: false }))
      .catch((error: unknown) => !ctl.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })));
    return () => ctl.abort();
  }, [gql, query, key, tick, opts.skip, session]);

  useEffect(() => {
    if (!opts.pollMs || opts.skip) return;
    const t = setInterval(refetch, opts.pollMs);
    return () => clearInterval(t);
  }, [opts.pollMs, opts.skip, refetch]);

  return { ...state, refetch };
}

/** A callback that runs `refetch` at {@link AFTER_WRITE_MS} after the page's own transaction committed (cleared on unmount). */
export function useRefetchAfterWrite(refetch: () => void): () => void {
  const timers = useRef<ReturnType<typeof setTimeout>[]>([]);
  useEffect(() => () => timers.current.forEach(clearTimeout), []);
  return useCallback(() => {
    timers.current.forEach(clearTimeout);
    timers.current = AFTER_WRITE_MS.map((ms) => setTimeout(refetch, ms));
  }, [refetch]);
}

/**
 * Runs `refetch` again, with {@link catchUpDelayMs}'s backoff, while `awaiting` names
 * something the view still lacks (`viewLag`); stops after {@link CATCH_UP_ATTEMPTS} asks in
 * a row (about 10 minutes). A new `awaiting` starts the count again.
 */
export function useRefetchWhile(awaiting: string | null, refetch: () => void): void {
  useEffect(() => {
    if (awaiting === null) return;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const next = () => {
      attempt += 1;
      if (attempt > CATCH_UP_ATTEMPTS) return;
      timer = setTimeout(() => {
        refetch();
        next();
      }, catchUpDelayMs(attempt));
    };
    next();
    return () => {
      if (timer !== null) clearTimeout(timer);
    };
  }, [awaiting, refetch]);
}

/**
 * A live subscription. The WebSocket client reconnects by itself; an error for the operation
 * (the gateway refusing or ending it, e.g. a job its read models do not hold yet, or a
 * subscriber that fell behind) ends it, so it is subscribed again after
 * {@link resubscribeDelayMs}; data resets the count.
 */
export function useSubscription<T>(
  query: string,
  variables: Variables,
  onData: (data: T) => void,
  opts: { skip?: boolean } = {},
): { connected: boolean; error: unknown } {
  const { gql, session } = useApp();
  const handler = useRef(onData);
  handler.current = onData;
  const [state, setState] = useState<{ connected: boolean; error: unknown }>({ connected: false, error: null });
  const key = JSON.stringify(variables);

  useEffect(() => {
    if (opts.skip) return;
    let stop: (() => void) | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let errors = 0;
    let live = true;
    const start = () => {
      setState({ connected: true, error: null });
      stop = gql.subscribe<T>(query, JSON.parse(key) as Variables, {
        next: (d) => {
          errors = 0;
          handler.current(d);
        },
        error: (error) => {
          setState({ connected: false, error });
          // The operation may still be open on the socket (errors in a `next`): end it.
          stop?.();
          stop = null;
          errors += 1;
          if (live) retry = setTimeout(start, resubscribeDelayMs(errors));
        },
        complete: () => setState((s) => ({ ...s, connected: false })),
      });
    };
    start();
    return () => {
      live = false;
      if (retry !== null) clearTimeout(retry);
      stop?.();
    };
  }, [gql, query, key, opts.skip, session]);

  return state;
}

export type TxPhase = 'idle' | 'signing' | 'confirming' | 'done' | 'failed';

export interface TxState {
  phase: TxPhase;
  label: string | null;
  hash: string | null;
  error: ChainErrorInfo | null;
}

/** Signs a payload with the connected wallet, submits it and waits for its outcome. */
export function useTransaction() {
  const { aptos } = useApp();
  const { signAndSubmitTransaction, account } = useWallet();
  const [state, setState] = useState<TxState>({ phase: 'idle', label: null, hash: null, error: null });

  const run = useCallback(
    async (
      label: string,
      payload: InputEntryFunctionData,
      onSubmitted?: (hash: string) => void,
    ): Promise<CommittedTransactionResponse | null> => {
      if (!account) {
        setState({ phase: 'failed', label, hash: null, error: explainError('connect a wallet first') });
        return null;
      }
      setState({ phase: 'signing', label, hash: null, error: null });
      let hash: string;
      try {
        const out = await signAndSubmitTransaction({ data: payload });
        hash = out.hash;
      } catch (e) {
        setState({ phase: 'failed', label, hash: null, error: explainError(e) });
        return null;
      }
      setState({ phase: 'confirming', label, hash, error: null });
      onSubmitted?.(hash);
      try {
        const tx = await waitForSuccess(aptos, hash);
        setState({ phase: 'done', label, hash, error: null });
        return tx;
      } catch (e) {
        setState({ phase: 'failed', label, hash, error: explainError(e) });
        return null;
      }
    },
    [account, aptos, signAndSubmitTransaction],
  );

  const reset = useCallback(() => setState({ phase: 'idle', label: null, hash: null, error: null }), []);

  return { ...state, busy: state.phase === 'signing' || state.phase === 'confirming', run, reset };
}

/** The current time, re-rendering every `ms`. */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
