import { describe, expect, it } from 'vitest';

import { ChainError, parseChainError } from '@/lib/abort';

describe('parseChainError', () => {
  it('names a Move abort of the package', () => {
    const e = parseChainError(
      "Move abort in 0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5::job_registry: E_ESCROW_TOO_LOW(0x4): The escrow does not cover one second at the provider's price.",
    );
    expect(e.code).toBe('E_ESCROW_TOO_LOW');
    expect(e.module).toBe('job_registry');
    expect(e.description).toMatch(/one second/);
  });

  it('names an abort printed without a name', () => {
    const e = parseChainError('Move abort in 0xc5::provider_registry: 0x4');
    expect(e.code).toBe('E_STAKE_TOO_LOW');
    expect(e.description).toMatch(/stake/);
  });

  it('names framework aborts and VM statuses', () => {
    expect(parseChainError('Move abort in 0x1::coin: EINSUFFICIENT_BALANCE(0x10006): Not enough coins').code).toBe(
      'EINSUFFICIENT_BALANCE',
    );
    expect(parseChainError('Transaction 0xab failed with an error: OUT_OF_GAS').code).toBe('OUT_OF_GAS');
    expect(parseChainError('Invalid transaction: Type: Validation Code: SEQUENCE_NUMBER_TOO_OLD').code).toBe(
      'SEQUENCE_NUMBER_TOO_OLD',
    );
  });

  it('finds the abort inside the ts-sdk error text', () => {
    const err = new ChainError(
      'Transaction 0x12 failed with an error: Move abort in 0x00c5::escrow: E_ESCROW_CLOSED(0x6): The escrow was settled and refunded',
      '0x12',
    );
    expect(err.info.code).toBe('E_ESCROW_CLOSED');
    expect(err.message).toMatch(/^E_ESCROW_CLOSED: /);
    expect(err.hash).toBe('0x12');
  });

  it('names the checks the app makes before signing', () => {
    const e = parseChainError('E_STAKE_TOO_LOW: the stake must be at least 1.00000000 MOVE');
    expect(e).toMatchObject({ code: 'E_STAKE_TOO_LOW', module: 'provider_registry' });
    expect(e.description).toBe('the stake must be at least 1.00000000 MOVE');
  });

  it('keeps what it does not know verbatim', () => {
    const e = parseChainError('something odd');
    expect(e.code).toBeNull();
    expect(e.description).toBe('something odd');
  });
});
