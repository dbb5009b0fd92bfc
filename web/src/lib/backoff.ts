/** The wait before subscribing again after the `attempt`-th error in a row: 1 s, doubling, at most 30 s. */
export function resubscribeDelayMs(attempt: number): number {
  const n = Number.isFinite(attempt) ? Math.min(Math.max(Math.floor(attempt) - 1, 0), 5) : 5;
  return Math.min(30_000, 1000 * 2 ** n);
}

/**
 * The wait before asking the read models again, the `attempt`-th time in a row, while they
 * lag what the live feed already said (see `viewLag.ts`): 1 s, doubling, at most 15 s.
 */
export function catchUpDelayMs(attempt: number): number {
  const n = Number.isFinite(attempt) ? Math.min(Math.max(Math.floor(attempt) - 1, 0), 4) : 4;
  return Math.min(15_000, 1000 * 2 ** n);
}

/** How many times in a row the read models are asked again before the page stops waiting (about 10 minutes). */
export const CATCH_UP_ATTEMPTS = 44;

/**
 * When a page asks again after its own transaction committed (ms after it): the read models
 * trail the chain by the indexer's poll and the projector's batch, and on a loaded machine by
 * tens of seconds; a few early asks for the usual case, later ones for the slow one.
 */
export const AFTER_WRITE_MS: readonly number[] = [800, 2500, 6000, 12_000, 25_000, 45_000];
