/**
 * A URL that came from outside (a provider's outputs URL on chain, an explorer template) as a
 * link target only when it is `http:` or `https:`; anything else (`javascript:`, `data:`,
 * relative or malformed) is not linked, so it cannot run script in the app's origin, where
 * the jobs' voucher keys live.
 */
export function safeHttpUrl(raw: string | null | undefined): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw.trim());
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}
