/**
 * Chain errors by name. The node prints a Move abort in `vm_status` as
 * `Move abort in 0x…::job_registry: E_ESCROW_TOO_LOW(0x4): The escrow does not cover …`;
 * the names and descriptions below are those of `move/sources/*.move`, so an abort without
 * a name (a node without the package's error map) is still shown by name.
 */

export interface AbortInfo {
  name: string;
  description: string;
}

/** ComputeStream's abort codes per module (the constants of move/sources). */
export const PACKAGE_ABORTS: Record<string, Record<number, AbortInfo>> = {
  provider_registry: {
    1: { name: 'E_ALREADY_REGISTERED', description: 'The account is already a registered provider.' },
    2: { name: 'E_NOT_REGISTERED', description: 'The account is not a registered provider.' },
    3: { name: 'E_ZERO_PRICE', description: 'A price of zero octas per second.' },
    4: { name: 'E_STAKE_TOO_LOW', description: 'The stake is below the minimum (1 MOVE).' },
    5: { name: 'E_BAD_GPU_TYPE', description: 'The GPU type is empty or longer than 64 bytes.' },
    6: { name: 'E_ZERO_VRAM', description: 'VRAM of zero GB.' },
    7: { name: 'E_NOT_ACTIVE', description: 'The provider is not available for new jobs.' },
    8: { name: 'E_VRAM_TOO_LARGE', description: 'VRAM above the maximum (1,048,576 GB).' },
  },
  job_registry: {
    1: { name: 'E_NO_JOB', description: 'No job with that id.' },
    2: { name: 'E_ILLEGAL_TRANSITION', description: 'That status change is not allowed for the caller.' },
    3: { name: 'E_ZERO_DURATION', description: 'Maximum duration of zero seconds.' },
    4: { name: 'E_ESCROW_TOO_LOW', description: "The escrow does not cover one second at the provider's price." },
    5: { name: 'E_BAD_IMAGE', description: 'The image reference is empty or longer than 256 bytes.' },
    6: { name: 'E_SELF_DEALING', description: 'A buyer cannot hire itself.' },
    7: { name: 'E_UNKNOWN_STATUS', description: 'Status code outside 0..=4.' },
    8: { name: 'E_DURATION_TOO_LONG', description: 'Maximum duration above 365 days.' },
    9: {
      name: 'E_COST_OVERFLOW',
      description: "The job's maximum cost, price per second × maximum duration, does not fit in a u64.",
    },
  },
  escrow: {
    1: { name: 'E_NO_ESCROW', description: 'The job has no escrow.' },
    2: { name: 'E_ESCROW_EXISTS', description: 'The job already has an escrow.' },
    3: { name: 'E_INSUFFICIENT_ESCROW', description: 'A release or refund larger than what is locked.' },
    4: { name: 'E_ZERO_AMOUNT', description: 'A deposit of zero octas.' },
    5: { name: 'E_CONSERVATION', description: 'Conservation broke: deposited ≠ released + refunded + locked.' },
    6: { name: 'E_ESCROW_CLOSED', description: 'The escrow was settled and refunded (its stream closed): it takes no more deposits.' },
    7: { name: 'E_DEPOSIT_OVERFLOW', description: "The deposit would take the escrow's total above u64::MAX octas." },
  },
  payment_stream: {
    1: { name: 'E_NO_STREAM', description: 'No stream with that id.' },
    2: { name: 'E_STREAM_EXISTS', description: 'A stream with that id exists already.' },
    3: { name: 'E_LENGTH_MISMATCH', description: 'streams, cumulative_amounts and signatures differ in length.' },
    4: {
      name: 'E_BAD_BUYER_KEY',
      description: 'The voucher key is not a valid ed25519 public key (32 bytes, on the curve, not of small order).',
    },
    5: { name: 'E_STREAM_CLOSED', description: 'The stream is closed.' },
    6: { name: 'E_NOT_ALLOWED', description: 'Only the buyer or the provider may close a stream before it is closable.' },
    7: { name: 'E_BAD_VOUCHER', description: 'The final voucher given to close_stream does not verify.' },
    8: { name: 'E_ZERO_RATE', description: 'Rate of zero octas per second.' },
  },
};

/** Framework aborts a user of this app meets. Keyed by module, then by the full code. */
const FRAMEWORK_ABORTS: Record<string, Record<number, AbortInfo>> = {
  coin: {
    0x10006: { name: 'EINSUFFICIENT_BALANCE', description: 'Not enough coins to complete the transaction.' },
  },
  account: {
    0x80001: { name: 'EACCOUNT_ALREADY_EXISTS', description: 'The account already exists.' },
  },
};

/** VM statuses other than aborts, explained. */
const VM_STATUSES: Record<string, string> = {
  OUT_OF_GAS: 'The transaction ran out of gas.',
  ARITHMETIC_ERROR: 'An arithmetic overflow in the contract.',
  INSUFFICIENT_BALANCE_FOR_TRANSACTION_FEE: 'The account cannot pay the transaction fee.',
  SEQUENCE_NUMBER_TOO_OLD: 'The sequence number was already used: retry.',
  SEQUENCE_NUMBER_TOO_NEW: 'The sequence number is ahead of the account: retry.',
  TRANSACTION_EXPIRED: 'The transaction expired before it was executed.',
  SENDING_ACCOUNT_DOES_NOT_EXIST: 'The sending account does not exist on chain yet: fund it first.',
  INVALID_AUTH_KEY: "The signature does not match the account's authentication key.",
  INVALID_SIGNATURE: 'The transaction signature is invalid.',
  BAD_CHAIN_ID: 'The wallet is on another network (chain id).',
  LINKER_ERROR: 'The function does not exist at that address (wrong package address?).',
  FAILED_TO_DESERIALIZE_ARGUMENT: 'An argument does not have the type the function expects.',
  NUMBER_OF_ARGUMENTS_MISMATCH: 'The function was called with the wrong number of arguments.',
  MAX_GAS_UNITS_EXCEEDS_MAX_GAS_UNITS_BOUND: 'The maximum gas amount is above the network bound.',
  EXCEEDED_MAX_TRANSACTION_SIZE: 'The transaction is too large.',
};

export interface ChainErrorInfo {
  /** `E_ESCROW_TOO_LOW`, `OUT_OF_GAS`, … or null when nothing is recognised. */
  code: string | null;
  module: string | null;
  description: string;
  /** What the node or wallet said, verbatim. */
  raw: string;
}

const ABORT_RE =
  /Move abort in (0x[0-9a-fA-F]+)::(\w+):\s*(?:(\w+)\((0x[0-9a-fA-F]+|\d+)\)|(0x[0-9a-fA-F]+|\d+))(?::\s*(.*))?/;
const ABORT_CODE_RE = /Move abort(?: in (0x[0-9a-fA-F]+)::(\w+))?[^0-9]*?(?:code|abort_code)[:= ]+(0x[0-9a-fA-F]+|\d+)/i;

function codeNumber(s: string): number {
  return s.startsWith('0x') || s.startsWith('0X') ? parseInt(s.slice(2), 16) : parseInt(s, 10);
}

function lookup(module: string, code: number): AbortInfo | undefined {
  return PACKAGE_ABORTS[module]?.[code] ?? PACKAGE_ABORTS[module]?.[code & 0xffff] ?? FRAMEWORK_ABORTS[module]?.[code];
}

/** Explains a `vm_status`, a node API error message or a wallet error string. */
export function parseChainError(raw: string): ChainErrorInfo {
  const m = ABORT_RE.exec(raw);
  if (m) {
    const mod = m[2] ?? null;
    const codeStr = m[4] ?? m[5] ?? '0';
    const known = mod ? lookup(mod, codeNumber(codeStr)) : undefined;
    const name = m[3] ?? known?.name ?? `abort ${codeStr}`;
    const description = known?.description ?? (m[6]?.trim() || 'The contract aborted.');
    return { code: name, module: mod, description, raw };
  }
  const c = ABORT_CODE_RE.exec(raw);
  if (c) {
    const mod = c[2] ?? null;
    const known = mod ? lookup(mod, codeNumber(c[3] ?? '0')) : undefined;
    return {
      code: known?.name ?? `abort ${c[3]}`,
      module: mod,
      description: known?.description ?? 'The contract aborted.',
      raw,
    };
  }
  // The app's own checks before signing use the package's names: `E_STAKE_TOO_LOW: …`.
  const own = /^(E_[A-Z0-9_]+):\s*(.*)$/s.exec(raw);
  if (own && own[1]) {
    const mod = Object.keys(PACKAGE_ABORTS).find((m) =>
      Object.values(PACKAGE_ABORTS[m] ?? {}).some((a) => a.name === own[1]),
    );
    return { code: own[1], module: mod ?? null, description: own[2] ?? '', raw: own[2] ?? raw };
  }
  for (const [status, description] of Object.entries(VM_STATUSES)) {
    if (raw.includes(status)) return { code: status, module: null, description, raw };
  }
  if (/reject/i.test(raw)) return { code: 'USER_REJECTED', module: null, description: 'The wallet request was rejected.', raw };
  return { code: null, module: null, description: raw, raw };
}

/** A failed transaction, or one the node refused, with its explained reason. */
export class ChainError extends Error {
  readonly info: ChainErrorInfo;
  readonly hash: string | null;

  constructor(raw: string, hash: string | null = null) {
    const info = parseChainError(raw);
    super(info.code ? `${info.code}: ${info.description}` : info.description);
    this.name = 'ChainError';
    this.info = info;
    this.hash = hash;
  }
}

/** Whatever was thrown (Error, wallet string, node JSON), as text. */
export function errorText(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    if (typeof o.message === 'string') return o.message;
    try {
      return JSON.stringify(e);
    } catch {
      return String(e);
    }
  }
  return String(e);
}

/** An explained error for display, from anything thrown. */
export function explainError(e: unknown): ChainErrorInfo {
  if (e instanceof ChainError) return e.info;
  const t = errorText(e);
  // ts-sdk's FailedTransactionError and AptosApiError carry the node's words in the text.
  return parseChainError(t);
}
