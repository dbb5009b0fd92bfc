/** The wait before subscribing again after the `attempt`-th error in a row: 1 s, doubling, at most 30 s. */
export function resubscribeDelayMs(attempt: number): number {
  const n = Number.isFinite(attempt) ? Math.min(Math.max(Math.floor(attempt) - 1, 0), 5) : 5;
  return Math.min(30_000, 1000 * 2 ** n);
}
