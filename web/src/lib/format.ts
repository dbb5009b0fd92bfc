import { toAccountAddress } from './address';

/** The long form (0x + 64 hex) of an address, or the input when it is not one. */
export function longAddress(a: string): string {
  try {
    return toAccountAddress(a).toStringLong();
  } catch {
    return a;
  }
}

export function sameAddress(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  try {
    return toAccountAddress(a).equals(toAccountAddress(b));
  } catch {
    return false;
  }
}

/** `0x1234…cdef`. */
export function shortAddress(a: string, head = 6, tail = 4): string {
  const long = longAddress(a);
  if (long.length <= head + tail + 3) return long;
  return `${long.slice(0, head)}…${long.slice(-tail)}`;
}

/** Milliseconds of an RFC 3339 timestamp or of a unix-ms decimal string. */
export function timeMs(t: string | null | undefined): number | null {
  if (!t) return null;
  if (/^\d+$/.test(t)) return Number(t);
  const v = Date.parse(t);
  return Number.isNaN(v) ? null : v;
}

export function formatTime(t: string | number | null | undefined): string {
  const ms = typeof t === 'number' ? t : timeMs(t ?? null);
  if (ms === null) return '—';
  const d = new Date(ms);
  return d.toLocaleString(undefined, { hour12: false });
}

export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(undefined, { hour12: false });
}

export function ago(t: string | number | null | undefined, now: number = Date.now()): string {
  const ms = typeof t === 'number' ? t : timeMs(t ?? null);
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** `1h 02m 03s` for a number of seconds (a bigint: durations are u64 on chain). */
export function formatDuration(secs: bigint): string {
  if (secs < 60n) return `${secs.toString()}s`;
  const h = secs / 3600n;
  const m = (secs % 3600n) / 60n;
  const s = secs % 60n;
  const pad = (v: bigint) => v.toString().padStart(2, '0');
  if (h === 0n) return `${m.toString()}m ${pad(s)}s`;
  if (h < 48n) return `${h.toString()}h ${pad(m)}m ${pad(s)}s`;
  return `${(h / 24n).toString()}d ${(h % 24n).toString()}h ${pad(m)}m`;
}

export function statusColor(status: string): string {
  switch (status.toLowerCase()) {
    case 'running':
      return 'bg-sky-100 text-sky-800';
    case 'pending':
      return 'bg-amber-100 text-amber-800';
    case 'completed':
      return 'bg-emerald-100 text-emerald-800';
    case 'failed':
      return 'bg-rose-100 text-rose-800';
    case 'cancelled':
      return 'bg-slate-200 text-slate-700';
    default:
      return 'bg-slate-100 text-slate-700';
  }
}
