/**
 * Amounts are integers of octas (1 MOVE = 10^8 octas), carried as `bigint` and as decimal
 * strings on the wire. Nothing here uses floating point or `Number` for an amount.
 */

export const DECIMALS = 8;
export const OCTAS_PER_MOVE = 100_000_000n;
export const U64_MAX = 18_446_744_073_709_551_615n;

export class AmountError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AmountError';
  }
}

/** Parses a decimal string of octas (as GraphQL and x402 carry them). */
export function octas(value: string | bigint | null | undefined): bigint {
  if (value === null || value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  const s = value.trim();
  if (!/^\d+$/.test(s)) throw new AmountError(`not a decimal amount of octas: ${JSON.stringify(value)}`);
  return BigInt(s);
}

/** Like `octas`, but `null` for anything unparsable. */
export function octasOrNull(value: string | null | undefined): bigint | null {
  if (value === null || value === undefined) return null;
  try {
    return octas(value);
  } catch {
    return null;
  }
}

/** `184467440737.09551615`: MOVE with exactly 8 decimals. */
export function formatMoveNumber(value: bigint | string): string {
  const v = octas(value);
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const whole = abs / OCTAS_PER_MOVE;
  const frac = (abs % OCTAS_PER_MOVE).toString().padStart(DECIMALS, '0');
  return `${negative ? '-' : ''}${whole.toString()}.${frac}`;
}

/** `184467440737.09551615 MOVE`. */
export function formatMove(value: bigint | string): string {
  return `${formatMoveNumber(value)} MOVE`;
}

/** `1,234,567 octas` (for hover titles). */
export function formatOctas(value: bigint | string): string {
  const s = octas(value).toString();
  return `${s.replace(/\B(?=(\d{3})+(?!\d))/g, ',')} octas`;
}

/**
 * Parses what a person typed, in MOVE ("1.5", "0.00000001", "10"), into octas. Rejects
 * negatives, more than 8 decimals, exponents, separators and anything above u64::MAX.
 */
export function parseMove(input: string): bigint {
  const s = input.trim();
  if (s === '') throw new AmountError('enter an amount');
  if (s.startsWith('-')) throw new AmountError('an amount cannot be negative');
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) {
    throw new AmountError(`not an amount: ${JSON.stringify(input)}`);
  }
  const whole = m[1] === '' ? '0' : (m[1] ?? '0');
  const frac = m[2] ?? '';
  if (frac.length > DECIMALS) {
    throw new AmountError(`at most ${DECIMALS} decimals (1 octa = 0.00000001 MOVE)`);
  }
  const v = BigInt(whole) * OCTAS_PER_MOVE + BigInt(frac.padEnd(DECIMALS, '0') || '0');
  if (v > U64_MAX) throw new AmountError('above the largest amount (u64::MAX octas)');
  return v;
}

/** Parses a whole number (seconds, GB) typed by a person, within `0..=max`. */
export function parseWhole(input: string, what: string, max: bigint = U64_MAX): bigint {
  const s = input.trim();
  if (!/^\d+$/.test(s)) throw new AmountError(`${what} must be a whole number`);
  const v = BigInt(s);
  if (v > max) throw new AmountError(`${what} must be at most ${max.toString()}`);
  return v;
}

export function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/**
 * For charts only: a power-of-ten divisor that brings the largest amount below 2^53 with
 * room to spare, so every plotted coordinate is an exact integer `Number` of that unit.
 * Labels are always formatted from the BigInt (`scaledToOctas`).
 */
export function chartScale(maxValue: bigint): bigint {
  let scale = 1n;
  const limit = 1_000_000_000_000n; // 10^12 units keeps ticks exact and readable
  while (maxValue / scale > limit) scale *= 10n;
  return scale;
}

export function toChartUnits(value: bigint, scale: bigint): number {
  return Number(value / scale);
}

export function scaledToOctas(units: number, scale: bigint): bigint {
  if (!Number.isFinite(units)) return 0n;
  return BigInt(Math.round(units)) * scale;
}
