import { describe, expect, it } from 'vitest';

import { entryAbi, isPackageEvent, jobIdFromTransaction, payloads } from '@/lib/chain';
import { parseConfig } from '@/lib/config';

const config = parseConfig(
  {
    graphqlHttp: '/graphql',
    graphqlWs: '/graphql/ws',
    restBase: '/api/v1',
    nodeUrl: 'http://127.0.0.1:8070/v1',
    faucetUrl: 'http://127.0.0.1:8070',
    chainId: 4,
    network: 'movement:4',
    package: '0x00c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5',
    explorerTxUrl: 'https://explorer.example/txn/{hash}?network=custom',
  },
  'https://market.example/jobs/view/?id=3',
);

describe('config', () => {
  it('resolves relative URLs against the page and turns the socket into ws(s)', () => {
    expect(config.graphqlHttp).toBe('https://market.example/graphql');
    expect(config.graphqlWs).toBe('wss://market.example/graphql/ws');
    expect(config.restBase).toBe('https://market.example/api/v1');
    expect(config.nodeUrl).toBe('http://127.0.0.1:8070/v1');
    expect(config.package).toBe('0x00c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5');
    expect(config.explorerAccountUrl).toBeNull();
  });

  it('refuses a config without a package or chain id', () => {
    expect(() => parseConfig({ graphqlHttp: '/g', graphqlWs: '/g', restBase: '/a', nodeUrl: '/n', chainId: 4 }, 'http://x/')).toThrow(
      /package/,
    );
    expect(() => parseConfig({ chainId: 'four' }, 'http://x/')).toThrow(/chainId/);
  });
});

describe('payloads', () => {
  it('builds create_job with its ABI', () => {
    const p = payloads.createJob(config, '0xab', 'img', 60n, 6000n, new Uint8Array(32).fill(7));
    expect(p.function).toBe(`${config.package}::job_registry::create_job`);
    expect(p.functionArguments?.[0]).toBe('0x' + '0'.repeat(62) + 'ab');
    expect(p.functionArguments?.slice(1, 4)).toEqual(['img', '60', '6000']);
    expect(entryAbi('job_registry::create_job').parameters.map((t) => t.toString())).toEqual([
      'address',
      '0x1::string::String',
      'u64',
      'u64',
      'vector<u8>',
    ]);
    expect(payloads.cancelJob(config, 12n).functionArguments).toEqual(['12', '4']);
  });
});

describe('JobCreated', () => {
  it('finds the job id, comparing addresses as addresses (leading zeros dropped)', () => {
    const tx = {
      events: [
        { type: '0x1::transaction_fee::FeeStatement', data: {} },
        { type: '0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5::job_registry::JobCreated', data: { job_id: '42' } },
      ],
    };
    expect(jobIdFromTransaction(tx, config.package)).toBe(42n);
    expect(jobIdFromTransaction(tx, '0x' + 'c6'.repeat(32))).toBeNull();
    expect(isPackageEvent('0xc5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5::job_registry::JobStatusChanged', config.package, 'job_registry', 'JobCreated')).toBe(false);
  });
});
