/**
 * The reputation breakdown (docs/ANALYTICS.md): reputation_bps =
 * (5 × completion + 3 × uptime + 2 × stake) / 10, each in basis points:
 * completion = completed / (completed + failed) (10000 with none),
 * uptime = minutes with a heartbeat in the last 24 h / 1440,
 * stake = min(stake, 10 MOVE) / 10 MOVE.
 * The API gives reputationBps, jobsCompleted, jobsFailed and stake; uptime is what remains
 * (the API has no heartbeat-minutes field), so it is shown as derived.
 */
import { octas } from './amount';

export const STAKE_CAP = 1_000_000_000n; // 10 MOVE

export interface ReputationBreakdown {
  totalBps: number;
  completionBps: number;
  stakeBps: number;
  /** Derived from the total: (10 × total − 5 × completion − 2 × stake) / 3, clamped. */
  uptimeBps: number;
}

export function reputationBreakdown(p: {
  reputationBps: number;
  jobsCompleted: number;
  jobsFailed: number;
  stake: string;
}): ReputationBreakdown {
  const done = p.jobsCompleted + p.jobsFailed;
  const completionBps = done === 0 ? 10000 : Math.floor((p.jobsCompleted * 10000) / done);
  const stake = octas(p.stake);
  const capped = stake < STAKE_CAP ? stake : STAKE_CAP;
  const stakeBps = Number((capped * 10000n) / STAKE_CAP);
  const uptime = Math.round((10 * p.reputationBps - 5 * completionBps - 2 * stakeBps) / 3);
  return {
    totalBps: p.reputationBps,
    completionBps,
    stakeBps,
    uptimeBps: Math.max(0, Math.min(10000, uptime)),
  };
}

export function bpsPercent(bps: number): string {
  const whole = Math.floor(bps / 100);
  const frac = Math.abs(bps % 100)
    .toString()
    .padStart(2, '0');
  return `${whole}.${frac}%`;
}
