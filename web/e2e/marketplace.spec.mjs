// The seed's workflows in a browser, end to end:
//   provider connects the test wallet, registers, goes unavailable and available again;
//   buyer (a second key) rents it, pays at least PAY_SECONDS seconds over x402, sees the
//   chart rise and a settlement land, cancels, and sees the refund.
//
// Runs against any stack that serves the app (BASE_URL): `computestream serve` with the
// indexer, projector, settler and the provider's executor running, or e2e/mock-stack.mjs.
// The provider's executor must run with PROVIDER_KEY (its x402 endpoint is Provider.endpoint).
//
//   BASE_URL=http://127.0.0.1:8080 PROVIDER_KEY=0x… [BUYER_KEY=0x…] [JOB_IMAGE=…] [SCREENSHOT_DIR=…] \
//     node --test e2e/marketplace.spec.mjs
//
// On a network without a faucet (config.json faucetUrl = null) both keys must hold MOVE.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { connectWallet, fund, launch, screenshots, waitOctas, walletContext } from './browser.mjs';

const BASE_URL = (process.env.BASE_URL ?? '').replace(/\/$/, '');
const PROVIDER_KEY = process.env.PROVIDER_KEY;
const BUYER_KEY = process.env.BUYER_KEY ?? `0x${randomBytes(32).toString('hex')}`;
const PAY_SECONDS = BigInt(process.env.PAY_SECONDS ?? '10');
// The id the buyer's job will get (1 on a fresh devnet): a watcher opens its page before the
// job exists, and must still follow it live (the page subscribes once the job is indexed).
const NEXT_JOB_ID = process.env.NEXT_JOB_ID;
const SHOTS = screenshots(process.env.SCREENSHOT_DIR ?? path.join(import.meta.dirname ?? '.', 'artifacts', 'marketplace'));
const log = (m) => process.env.E2E_VERBOSE && console.log(m);

let browser;
let providerAddress;

/** A `.catch` that keeps a screenshot and puts the page's text in the failure. */
function failedOn(page, name) {
  return async (e) => {
    await SHOTS(page, `${name}-failed`).catch(() => undefined);
    const text = await page.locator('body').innerText().catch(() => '(no page text)');
    const session = await page
      .getByTestId('session')
      .evaluate((el) => `${el.getAttribute('data-state')}: ${el.getAttribute('title')}`)
      .catch(() => '(no session indicator)');
    throw new Error(`${e.message}\n${page.url()} says:\n${text}\ngateway session: ${session}`);
  };
}

before(async () => {
  assert.ok(BASE_URL, 'BASE_URL is required');
  assert.ok(PROVIDER_KEY, 'PROVIDER_KEY is required (the key of the provider whose executor runs)');
  browser = await launch();
});

after(async () => {
  await browser?.close();
});

test('provider registers and goes available', async () => {
  const ctx = await walletContext(browser, PROVIDER_KEY, log);
  const page = await ctx.newPage();
  await page.goto(`${BASE_URL}/provider/`);
  await page.getByTestId('require-wallet').waitFor();
  providerAddress = await connectWallet(page);
  assert.match(providerAddress, /^0x[0-9a-f]{64}$/);
  await fund(page);

  const form = page.getByTestId('register-form');
  const card = page.getByTestId('provider-card');
  await Promise.race([form.waitFor({ timeout: 20_000 }), card.waitFor({ timeout: 20_000 })]).catch(failedOn(page, 'provider-console'));
  if (await form.isVisible()) {
    await page.fill('#gpuType', 'NVIDIA H100');
    await page.fill('#vramGb', '80');
    await page.fill('#price', '0.00001');
    await page.fill('#stake', '2');
    await SHOTS(page, 'provider-register');
    await page.getByTestId('register').click();
    await page.locator('[data-testid="tx-status"][data-phase="done"]').waitFor({ timeout: 60_000 });
  }
  await card.waitFor({ timeout: 30_000 });

  // Unavailable, then available again (update_availability both ways).
  if ((await card.getAttribute('data-active')) === 'true') {
    await page.getByTestId('toggle-availability').click();
    await page.locator('[data-testid="provider-card"][data-active="false"]').waitFor({ timeout: 30_000 });
  }
  await page.getByTestId('toggle-availability').click();
  await page.locator('[data-testid="provider-card"][data-active="true"]').waitFor({ timeout: 30_000 });
  await SHOTS(page, 'provider-available');
  await ctx.close();
});

test('buyer rents, pays per second, sees a settlement, cancels and is refunded', async () => {
  assert.ok(providerAddress, 'the provider test ran first');
  const ctx = await walletContext(browser, BUYER_KEY, log);
  const page = await ctx.newPage();

  await page.goto(`${BASE_URL}/`);
  const row = page.locator(`[data-testid="provider-row"][data-address="${providerAddress}"]`);
  await row.waitFor({ timeout: 30_000 });
  // The first load as a new visitor sees it (fresh context, nothing cached): navigation
  // timing of the marketplace page, and until the provider list is on screen.
  const timing = await page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation');
    return { domContentLoaded: Math.round(nav.domContentLoadedEventEnd), load: Math.round(nav.loadEventEnd), listed: Math.round(performance.now()) };
  });
  console.log(`first load of /: DOMContentLoaded ${timing.domContentLoaded} ms, load ${timing.load} ms, providers listed by ${timing.listed} ms`);
  await SHOTS(page, 'marketplace');

  // A watcher (no wallet) on the page of the job before it exists.
  let watcher = null;
  if (NEXT_JOB_ID) {
    const wctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    watcher = await wctx.newPage();
    await watcher.goto(`${BASE_URL}/jobs/view/?id=${NEXT_JOB_ID}`);
    await watcher.getByText(`No job #${NEXT_JOB_ID} yet`).waitFor({ timeout: 30_000 }).catch(failedOn(watcher, 'watcher-before'));
  } else {
    log('NEXT_JOB_ID not set: no watcher page');
  }
  await row.getByTestId('rent').click();
  await page.waitForURL(/\/jobs\/new\/\?provider=/);

  await connectWallet(page);
  await fund(page);
  await page.getByTestId('new-job-form').waitFor();
  if (process.env.JOB_IMAGE) await page.fill('#image', process.env.JOB_IMAGE);
  await page.fill('#duration', '600');
  const rate = await waitOctas(page, '[data-testid="cost-per-second"]', (v) => v > 0n, 10_000);
  const maxCost = await waitOctas(page, '[data-testid="max-cost"]', (v) => v > 0n, 10_000);
  assert.equal(maxCost, rate * 600n, 'maximum cost = price × duration (escrow defaults to it)');
  await SHOTS(page, 'buyer-new-job');
  await page.getByTestId('create-job').click();
  await page.waitForURL(/\/jobs\/view\/\?id=\d+/, { timeout: 60_000 });
  const jobId = new URL(page.url()).searchParams.get('id');
  log(`job ${jobId}`);

  // Paying: the page's payer holds a voucher for at least PAY_SECONDS seconds.
  await page.getByTestId('payer').waitFor().catch(failedOn(page, 'job-view'));
  await waitOctas(page, '[data-testid="payer"]', (v) => v >= PAY_SECONDS * rate, 180_000, 'data-charged');
  const before = await waitOctas(page, '[data-testid="payment-chart"]', (v) => v > 0n, 180_000, 'data-max').catch(failedOn(page, 'chart'));
  await page.waitForTimeout(3000);
  const later = await waitOctas(page, '[data-testid="payment-chart"]', (v) => v > before, 180_000, 'data-max');
  assert.ok(later > before, 'the chart rises');

  // A settlement lands on chain.
  await page.locator('[data-testid="settlements"] tbody tr td a, [data-testid="settlements"] tbody tr td span.font-mono').first().waitFor({ timeout: 180_000 });
  await waitOctas(page, '[data-testid="total-settled"]', (v) => v > 0n, 30_000);
  await SHOTS(page, 'buyer-paying');

  // Cancel, then the stream closes and refunds the rest.
  await page.getByTestId('cancel-job').click();
  await page.locator('[data-testid="job-status"]', { hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
  const refunded = await waitOctas(page, '[data-testid="total-refunded"]', (v) => v > 0n, 180_000);
  const settled = await waitOctas(page, '[data-testid="total-settled"]', (v) => v > 0n, 5_000);
  const escrow = await waitOctas(page, '[data-testid="total-escrow"]', (v) => v > 0n, 5_000);
  assert.equal(settled + refunded, escrow, 'escrow = settled + refunded once the stream is closed');
  // The provider committed its metering evidence on chain after the cancellation.
  await page.locator('[data-testid="job-evidence"]', { hasText: 's metered' }).waitFor({ timeout: 60_000 }).catch(failedOn(page, 'evidence'));
  // The page checks it: the signed records chain to the head committed on chain, and what
  // the chain paid is the newest voucher (the gateway runs `computestream verify`'s check).
  const verdict = page.locator('[data-testid="evidence-verdict"][data-holds="true"][data-final="true"]');
  await verdict.waitFor({ timeout: 60_000 }).catch(failedOn(page, 'evidence-verdict'));
  assert.ok(BigInt((await verdict.getAttribute('data-signed-seconds')) ?? '0') >= PAY_SECONDS, 'the verdict counts the signed seconds');
  await SHOTS(page, 'buyer-refunded');

  // The watcher followed the job from before it existed: its status and settlements, live.
  if (watcher) {
    assert.equal(jobId, NEXT_JOB_ID, 'the job got the id the watcher waited for');
    await watcher.locator('[data-testid="job-status"]', { hasText: 'cancelled' }).waitFor({ timeout: 60_000 }).catch(failedOn(watcher, 'watcher'));
    await waitOctas(watcher, '[data-testid="total-settled"]', (v) => v > 0n, 30_000).catch(failedOn(watcher, 'watcher'));
    await watcher.locator('[data-testid="evidence-verdict"][data-holds="true"][data-final="true"]').waitFor({ timeout: 60_000 }).catch(failedOn(watcher, 'watcher'));
    await SHOTS(watcher, 'watcher');
    await watcher.context().close();
  }

  // The provider's console shows the job and its earnings.
  const pctx = await walletContext(browser, PROVIDER_KEY, log);
  const ppage = await pctx.newPage();
  await ppage.goto(`${BASE_URL}/provider/`);
  await connectWallet(ppage);
  await ppage.getByTestId('jobs-served').locator(`a[href*="id=${jobId}"]`).waitFor({ timeout: 30_000 });
  await SHOTS(ppage, 'provider-earnings');
  await pctx.close();
  await ctx.close();
});
