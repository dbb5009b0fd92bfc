'use client';

import type { Ed25519PrivateKey } from '@aptos-labs/ts-sdk';
import { useEffect, useRef, useState } from 'react';

import { useApp } from '@/app/providers';

import { X402Payer, type PayerState } from './x402';

export interface PayerControl {
  state: PayerState | null;
  /** Another tab of this browser is paying this job. */
  otherTab: boolean;
  stop: () => void;
}

/**
 * Runs the x402 payer of a job while `enabled`: one loop per job and browser (a Web Lock
 * keeps a second tab from paying the same stream; the loop itself never has more than one
 * request in flight).
 */
export function usePayer(opts: {
  jobId: bigint | null;
  endpoint: string | null;
  sessionKey: Ed25519PrivateKey | null;
  enabled: boolean;
  leadSeconds: bigint;
  shouldContinue: () => boolean;
}): PayerControl {
  const { config } = useApp();
  const [state, setState] = useState<PayerState | null>(null);
  const [otherTab, setOtherTab] = useState(false);
  const payer = useRef<X402Payer | null>(null);
  const cont = useRef(opts.shouldContinue);
  cont.current = opts.shouldContinue;
  const { jobId, endpoint, sessionKey, enabled, leadSeconds } = opts;

  useEffect(() => {
    payer.current?.setLeadSeconds(leadSeconds);
  }, [leadSeconds]);

  useEffect(() => {
    if (!enabled || jobId === null || !endpoint || !sessionKey) return;
    const p = new X402Payer({
      endpoint,
      jobId,
      key: sessionKey,
      chainId: config.chainId,
      network: config.network,
      packageAddress: config.package,
      leadSeconds,
      shouldContinue: () => cont.current(),
      onState: (s) => setState(s),
    });
    payer.current = p;
    const run = async () => {
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      if (!locks) {
        await p.run();
        return;
      }
      await locks.request(`computestream:pay:${config.chainId}:${config.package}:${jobId.toString()}`, { ifAvailable: true }, async (lock) => {
        if (!lock) {
          setOtherTab(true);
          return;
        }
        setOtherTab(false);
        await p.run();
      });
    };
    void run();
    return () => {
      p.stop();
      if (payer.current === p) payer.current = null;
    };
    // leadSeconds is applied by setLeadSeconds without restarting the loop.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, jobId, endpoint, sessionKey, config]);

  return { state, otherTab, stop: () => payer.current?.stop() };
}
