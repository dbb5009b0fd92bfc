/**
 * The runtime configuration: `GET /config.json`, served by `computestream serve` next to
 * the exported pages. Nothing about the network is compiled into the app.
 */
import { toAccountAddress } from './address';

export interface RawConfig {
  graphqlHttp: string;
  graphqlWs: string;
  restBase: string;
  nodeUrl: string;
  faucetUrl?: string | null;
  chainId: number;
  network: string;
  package: string;
  explorerTxUrl?: string | null;
  explorerAccountUrl?: string | null;
}

export interface AppConfig {
  /** Absolute http(s) URL of GraphQL over HTTP. */
  graphqlHttp: string;
  /** Absolute ws(s) URL of GraphQL over WebSocket (`graphql-transport-ws`). */
  graphqlWs: string;
  restBase: string;
  /** The node REST API (`…/v1`), absolute. */
  nodeUrl: string;
  faucetUrl: string | null;
  chainId: number;
  /** CAIP-2 name, `movement:<chain id>`. */
  network: string;
  /** The package address, long form (0x + 64 hex digits). */
  package: string;
  explorerTxUrl: string | null;
  explorerAccountUrl: string | null;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function str(raw: Record<string, unknown>, key: string): string {
  const v = raw[key];
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`config.json: "${key}" must be a non-empty string`);
  return v.trim();
}

function optStr(raw: Record<string, unknown>, key: string): string | null {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new ConfigError(`config.json: "${key}" must be a string or null`);
  return v.trim();
}

/** Resolves a possibly relative URL against the page; `ws` turns http(s) into ws(s). */
export function absoluteUrl(url: string, base: string, ws = false): string {
  const u = new URL(url, base);
  if (ws) {
    if (u.protocol === 'http:') u.protocol = 'ws:';
    else if (u.protocol === 'https:') u.protocol = 'wss:';
  }
  // Keep the path exactly as given (no trailing slash added); strip one trailing slash of bases.
  return u.toString();
}

function trimSlash(s: string): string {
  return s.endsWith('/') ? s.slice(0, -1) : s;
}

/** Validates `config.json` and resolves its URLs against `base` (the page's URL). */
export function parseConfig(input: unknown, base: string): AppConfig {
  if (!input || typeof input !== 'object') throw new ConfigError('config.json is not a JSON object');
  const raw = input as Record<string, unknown>;
  const chainId = raw.chainId;
  if (typeof chainId !== 'number' || !Number.isInteger(chainId) || chainId < 0 || chainId > 255) {
    throw new ConfigError('config.json: "chainId" must be an integer in 0..=255');
  }
  let pkg: string;
  try {
    pkg = toAccountAddress(str(raw, 'package')).toStringLong();
  } catch {
    throw new ConfigError('config.json: "package" is not an account address');
  }
  const faucet = optStr(raw, 'faucetUrl');
  return {
    graphqlHttp: absoluteUrl(str(raw, 'graphqlHttp'), base),
    graphqlWs: absoluteUrl(str(raw, 'graphqlWs'), base, true),
    restBase: trimSlash(absoluteUrl(str(raw, 'restBase'), base)),
    nodeUrl: trimSlash(absoluteUrl(str(raw, 'nodeUrl'), base)),
    faucetUrl: faucet ? trimSlash(absoluteUrl(faucet, base)) : null,
    chainId,
    network: optStr(raw, 'network') ?? `movement:${chainId}`,
    package: pkg,
    explorerTxUrl: optStr(raw, 'explorerTxUrl'),
    explorerAccountUrl: optStr(raw, 'explorerAccountUrl'),
  };
}

export async function loadConfig(fetchImpl: typeof fetch = fetch): Promise<AppConfig> {
  const base = window.location.href;
  const resp = await fetchImpl(new URL('/config.json', base).toString(), { cache: 'no-store' });
  if (!resp.ok) throw new ConfigError(`GET /config.json answered ${resp.status}`);
  return parseConfig(await resp.json(), base);
}

/** The explorer link of a transaction, or null when the network has no explorer. */
export function explorerTx(config: AppConfig, hash: string): string | null {
  return config.explorerTxUrl ? config.explorerTxUrl.replace('{hash}', encodeURIComponent(hash)) : null;
}

export function explorerAccount(config: AppConfig, address: string): string | null {
  return config.explorerAccountUrl ? config.explorerAccountUrl.replace('{address}', encodeURIComponent(address)) : null;
}
