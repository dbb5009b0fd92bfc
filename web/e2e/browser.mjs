// Shared helpers of the browser tests: Debian's Chromium through playwright-core (no browser
// download), the test wallet injected before the app loads, screenshots.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const WALLET_BUNDLE = path.join(here, 'dist', 'test-wallet.js');
export const WALLET_NAME = 'ComputeStream Test Wallet';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  if (!existsSync(WALLET_BUNDLE)) {
    throw new Error(`${WALLET_BUNDLE} is missing: run \`npm run build:test-wallet\` first`);
  }
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    headless: true,
  });
}

/** A browser context whose pages carry the test wallet for `privateKey` (hex). */
export async function walletContext(browser, privateKey, log = () => undefined) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.addInitScript({ content: `window.__CS_TEST_WALLET_KEY = ${JSON.stringify(privateKey)};` });
  await context.addInitScript({ path: WALLET_BUNDLE });
  context.on('page', (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') log(`[console.${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
  });
  return context;
}

/** Connects the test wallet (or finds it connected again: the adapter auto-connects). */
export async function connectWallet(page) {
  const connected = page.getByTestId('wallet-connected');
  const button = page.getByTestId('connect-wallet');
  await Promise.race([connected.waitFor({ timeout: 20_000 }), button.waitFor({ timeout: 20_000 })]).catch(() => undefined);
  await page.waitForTimeout(300); // let an auto-connect finish
  if (!(await connected.isVisible())) {
    await button.click();
    await page.getByTestId(`wallet-option-${WALLET_NAME}`).click();
  }
  await connected.waitFor({ timeout: 15_000 });
  return page.getByTestId('wallet-connected').locator('[data-address]').getAttribute('data-address');
}

/** Uses the page's faucet button when the network has one; waits for a positive balance. */
export async function fund(page) {
  const faucet = page.getByTestId('faucet').first();
  if (await faucet.count()) {
    await faucet.click();
    await page.waitForFunction(
      () => {
        const b = document.querySelector('[data-testid="balance"]');
        return b && BigInt(b.getAttribute('data-octas') ?? '0') > 0n;
      },
      undefined,
      { timeout: 30_000 },
    );
  }
}

export function screenshots(dir) {
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, name) => {
    n += 1;
    const file = path.join(dir, `${String(n).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };
}

/** The BigInt in a `data-*` attribute of the first element matching `selector`. */
export async function octasAttr(page, selector, attr = 'data-octas') {
  const v = await page.locator(selector).first().getAttribute(attr);
  return BigInt(v ?? '0');
}

export async function waitOctas(page, selector, predicate, timeout = 60_000, attr = 'data-octas') {
  const deadline = Date.now() + timeout;
  let last = 0n;
  while (Date.now() < deadline) {
    try {
      last = await octasAttr(page, selector, attr);
      if (predicate(last)) return last;
    } catch {
      // not rendered yet
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`${selector} ${attr} is still ${last} after ${timeout} ms`);
}
