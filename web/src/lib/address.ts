import { AccountAddress } from '@aptos-labs/ts-sdk';

/**
 * An account address from any of its textual forms, including the short ones the node
 * prints in type strings (leading zeros dropped).
 */
export function toAccountAddress(s: string | AccountAddress): AccountAddress {
  if (s instanceof AccountAddress) return s;
  return AccountAddress.from(s.trim(), { maxMissingChars: 63 });
}
