/**
 * A test wallet for browser tests: an AIP-62 wallet registered through the wallet standard,
 * backed by a private key the test passes in. Built to a standalone script
 * (`npm run build:test-wallet` → e2e/dist/test-wallet.js) and injected before the page loads:
 *
 *   await page.addInitScript({ content: `window.__CS_TEST_WALLET_KEY = '0x…'` });
 *   await page.addInitScript({ path: 'e2e/dist/test-wallet.js' });
 *
 * It signs whatever it is asked to (no prompts) and submits with the ts-sdk to the node of
 * the page's /config.json (or `window.__CS_TEST_WALLET_NODE` / `__CS_TEST_WALLET_CHAIN_ID`).
 */
import {
  Account,
  AccountAddress,
  Aptos,
  AptosConfig,
  Ed25519PrivateKey,
  Network,
  PrivateKey,
  PrivateKeyVariants,
  type AnyRawTransaction,
  type InputGenerateTransactionPayloadData,
} from '@aptos-labs/ts-sdk';
import {
  AccountInfo,
  registerWallet,
  UserResponseStatus,
  type AptosConnectMethod,
  type AptosSignMessageInput,
  type AptosSignMessageOutput,
  type AptosSignTransactionInputV1_1,
  type AptosWallet,
  type NetworkInfo,
} from '@aptos-labs/wallet-standard';

declare global {
  interface Window {
    __CS_TEST_WALLET_KEY?: string;
    __CS_TEST_WALLET_NAME?: string;
    __CS_TEST_WALLET_NODE?: string;
    __CS_TEST_WALLET_CHAIN_ID?: number;
    /** Every transaction hash this wallet submitted (for the tests to inspect). */
    __CS_TEST_WALLET_SUBMITTED?: string[];
  }
}

const ICON =
  'data:image/svg+xml;base64,' +
  btoa(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#4f46e5"/><path d="M9 17l5 5 9-12" stroke="#fff" stroke-width="3" fill="none"/></svg>',
  );

interface Net {
  nodeUrl: string;
  chainId: number;
}

let netPromise: Promise<Net> | null = null;

function network(): Promise<Net> {
  if (!netPromise) {
    netPromise = (async () => {
      if (window.__CS_TEST_WALLET_NODE && window.__CS_TEST_WALLET_CHAIN_ID !== undefined) {
        return { nodeUrl: window.__CS_TEST_WALLET_NODE, chainId: window.__CS_TEST_WALLET_CHAIN_ID };
      }
      const r = await fetch(new URL('/config.json', window.location.href).toString(), { cache: 'no-store' });
      const c = (await r.json()) as { nodeUrl: string; chainId: number };
      return {
        nodeUrl: new URL(c.nodeUrl, window.location.href).toString().replace(/\/$/, ''),
        chainId: c.chainId,
      };
    })();
    netPromise.catch(() => {
      netPromise = null;
    });
  }
  return netPromise;
}

async function aptos(): Promise<Aptos> {
  const n = await network();
  return new Aptos(new AptosConfig({ network: Network.CUSTOM, fullnode: n.nodeUrl }));
}

function approved<T>(args: T) {
  return { status: UserResponseStatus.APPROVED as const, args };
}

function install(): void {
  const keyHex = window.__CS_TEST_WALLET_KEY;
  if (!keyHex) {
    console.warn('test wallet: window.__CS_TEST_WALLET_KEY is not set; not registering');
    return;
  }
  const privateKey = new Ed25519PrivateKey(PrivateKey.formatPrivateKey(keyHex, PrivateKeyVariants.Ed25519));
  const account = Account.fromPrivateKey({ privateKey });
  const info = new AccountInfo({ address: account.accountAddress, publicKey: account.publicKey });
  const accountListeners: ((a: AccountInfo) => void)[] = [];
  const networkListeners: ((n: NetworkInfo) => void)[] = [];
  let connected = false;
  window.__CS_TEST_WALLET_SUBMITTED = [];

  const networkInfo = async (): Promise<NetworkInfo> => {
    const n = await network();
    return { name: Network.CUSTOM, chainId: n.chainId, url: n.nodeUrl };
  };

  const build = async (payload: InputGenerateTransactionPayloadData, gasUnitPrice?: number, maxGasAmount?: number) => {
    const client = await aptos();
    return client.transaction.build.simple({
      sender: account.accountAddress,
      data: payload,
      options: { gasUnitPrice, maxGasAmount },
    });
  };

  const connect: AptosConnectMethod = async () => {
    connected = true;
    return approved(info);
  };

  const wallet: AptosWallet = {
    version: '1.0.0',
    name: window.__CS_TEST_WALLET_NAME ?? 'ComputeStream Test Wallet',
    icon: ICON as `data:image/svg+xml;base64,${string}`,
    url: 'https://computestream.invalid/test-wallet',
    chains: ['aptos:localnet'],
    get accounts() {
      return [];
    },
    features: {
      'aptos:connect': { version: '1.0.0', connect },
      'aptos:account': {
        version: '1.0.0',
        account: async () => {
          if (!connected) throw new Error('test wallet: not connected');
          return info;
        },
      },
      'aptos:network': { version: '1.0.0', network: networkInfo },
      'aptos:disconnect': {
        version: '1.0.0',
        disconnect: async () => {
          connected = false;
        },
      },
      'aptos:signTransaction': {
        version: '1.1.0',
        signTransaction: (async (input: AnyRawTransaction | AptosSignTransactionInputV1_1, asFeePayer?: boolean) => {
          if ('payload' in input && !('rawTransaction' in input)) {
            const p = input.payload as InputGenerateTransactionPayloadData;
            const tx = await build(p, input.gasUnitPrice, input.maxGasAmount);
            return approved({ authenticator: account.signTransactionWithAuthenticator(tx), rawTransaction: tx });
          }
          const tx = input as AnyRawTransaction;
          if (asFeePayer) return approved(account.signTransactionWithAuthenticator(tx));
          return approved(account.signTransactionWithAuthenticator(tx));
        }) as never,
      },
      'aptos:signAndSubmitTransaction': {
        version: '1.1.0',
        signAndSubmitTransaction: async ({ payload, gasUnitPrice, maxGasAmount }) => {
          const client = await aptos();
          const transaction = await build(payload, gasUnitPrice, maxGasAmount);
          const pending = await client.signAndSubmitTransaction({ signer: account, transaction });
          window.__CS_TEST_WALLET_SUBMITTED?.push(pending.hash);
          return approved({ hash: pending.hash });
        },
      },
      'aptos:signMessage': {
        version: '1.0.0',
        signMessage: async (input: AptosSignMessageInput) => {
          const n = await network();
          let full = 'APTOS\n';
          if (input.address) full += `address: ${account.accountAddress.toStringLong()}\n`;
          if (input.application) full += `application: ${window.location.origin}\n`;
          if (input.chainId) full += `chainId: ${n.chainId}\n`;
          full += `message: ${input.message}\nnonce: ${input.nonce}`;
          const out: AptosSignMessageOutput = {
            address: input.address ? account.accountAddress.toStringLong() : undefined,
            application: input.application ? window.location.origin : undefined,
            chainId: input.chainId ? n.chainId : undefined,
            fullMessage: full,
            message: input.message,
            nonce: input.nonce,
            prefix: 'APTOS',
            signature: account.sign(new TextEncoder().encode(full)),
          };
          return approved(out);
        },
      },
      'aptos:onAccountChange': {
        version: '1.0.0',
        onAccountChange: async (cb: (a: AccountInfo) => void) => {
          accountListeners.push(cb);
        },
      },
      'aptos:onNetworkChange': {
        version: '1.0.0',
        onNetworkChange: async (cb: (n: NetworkInfo) => void) => {
          networkListeners.push(cb);
        },
      },
    },
  };
  registerWallet(wallet);
  // Exposed for tests: the address this wallet signs for.
  (window as unknown as { __CS_TEST_WALLET_ADDRESS?: string }).__CS_TEST_WALLET_ADDRESS =
    AccountAddress.from(account.accountAddress).toStringLong();
}

install();
