// Browser smoke test of the static export, with no Rust stack: e2e/mock-stack.mjs in its
// seeded mode (DEVNET_URL=none) serves web/out, /config.json, GraphQL (HTTP + WebSocket) and
// an x402 endpoint. Every page renders with data, the test wallet connects, the job page
// starts its chart from the stream's history and pays the running job from this browser.
// Nothing is fetched from outside 127.0.0.1.
//
//   npm run build && npm run build:test-wallet && node --test e2e/smoke.mjs
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Ed25519PrivateKey, PrivateKey, PrivateKeyVariants } from '@aptos-labs/ts-sdk';

import { connectWallet, launch, screenshots, waitOctas, walletContext } from './browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PORT = Number(process.env.SMOKE_PORT ?? 3110);
const BASE = `http://127.0.0.1:${PORT}`;
const PKG = '0x' + 'c5'.repeat(32);
const SEED_PROVIDER = '0x' + '5e'.repeat(32);
const SESSION_KEY = `0x${randomBytes(32).toString('hex')}`;
const SHOTS = screenshots(process.env.SCREENSHOT_DIR ?? path.join(here, 'artifacts', 'smoke'));

let stack;
let browser;
let ctx;
const external = [];
const pageErrors = [];

before(async () => {
  stack = spawn(process.execPath, [path.join(here, 'mock-stack.mjs')], {
    env: { ...process.env, DEVNET_URL: 'none', SEED_SESSION_KEY: SESSION_KEY, WEB_PORT: String(PORT), X402_PORT: String(PORT + 1) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    stack.on('exit', (c) => reject(new Error(`mock stack exited ${c}`)));
    stack.stdout.on('data', (d) => String(d).includes('mock stack:') && resolve());
  });
  browser = await launch();
  ctx = await walletContext(browser, `0x${randomBytes(32).toString('hex')}`);
  // This browser holds the voucher key of the seeded running job 2.
  const aip80 = new Ed25519PrivateKey(PrivateKey.formatPrivateKey(SESSION_KEY, PrivateKeyVariants.Ed25519)).toAIP80String();
  await ctx.addInitScript({
    content: `try { if (location.origin === ${JSON.stringify(BASE)}) localStorage.setItem(${JSON.stringify(
      `computestream:voucher-key:4:${PKG}:job:2`,
    )}, ${JSON.stringify(aip80)}); } catch (e) {}`,
  });
  ctx.on('request', (r) => {
    if (new URL(r.url()).hostname !== '127.0.0.1') external.push(r.url());
  });
  ctx.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(e.message)));
});

after(async () => {
  await browser?.close();
  stack?.kill('SIGTERM');
});

test('marketplace lists providers with filters, sorting and live availability', async () => {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/`);
  const rows = page.getByTestId('provider-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 3);
  // Cheapest first: 500 octas per second.
  assert.equal(await rows.first().locator('td').nth(3).innerText(), '0.00000500 MOVE');
  assert.equal(await rows.first().locator('td').nth(3).locator('span').getAttribute('title'), '500 octas');
  await page.getByTestId('live-status').getByText('live availability').waitFor();
  await page.selectOption('#order', 'VRAM_DESC');
  await page.waitForFunction(() => document.querySelector('[data-testid="provider-row"] td:nth-child(3)')?.textContent === '80 GB');
  await page.fill('#maxprice', '0.000015');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="provider-row"]').length === 2);
  await page.fill('#maxprice', '0.000000001');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText('at most 8 decimals').waitFor();
  await page.fill('#maxprice', '');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="provider-row"]').length === 3);
  await page.getByTestId('reputation').first().click();
  await SHOTS(page, 'marketplace');
  await page.close();
});

test('provider console asks for a wallet, connects, and checks the listing before signing', async () => {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/provider/`);
  await page.getByTestId('require-wallet').waitFor();
  const address = await connectWallet(page);
  assert.match(address, /^0x[0-9a-f]{64}$/);
  await page.getByTestId('register-form').waitFor();
  await page.fill('#stake', '0.5');
  await page.getByTestId('register').click();
  await page.getByTestId('error-code').filter({ hasText: 'E_STAKE_TOO_LOW' }).waitFor();
  await SHOTS(page, 'provider-register');
  await page.close();
});

test('new job shows cost per second and the maximum cost before signing', async () => {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/jobs/new/?provider=${SEED_PROVIDER}`);
  await connectWallet(page);
  await page.getByTestId('new-job-form').waitFor();
  assert.equal(await waitOctas(page, '[data-testid="cost-per-second"]', (v) => v > 0n), 2000n);
  assert.equal(await waitOctas(page, '[data-testid="max-cost"]', (v) => v === 600_000n), 600_000n); // 300 s default
  await page.fill('#escrow', '0.001');
  assert.equal(await waitOctas(page, '[data-testid="max-cost"]', (v) => v === 100_000n), 100_000n); // capped by escrow
  await page.fill('#escrow', '0.00001');
  await page.getByTestId('cost-summary').getByText('E_ESCROW_TOO_LOW').waitFor();
  await page.fill('#escrow', '0.001');
  await SHOTS(page, 'new-job');
  await page.close();
});

test('a finished job: history chart, settlements, refund, output', async () => {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/jobs/view/?id=1`);
  await page.getByTestId('job-view').waitFor();
  assert.equal(await page.getByTestId('job-status').innerText(), 'completed');
  const points = Number(await page.getByTestId('payment-chart').getAttribute('data-points'));
  assert.ok(points > 3, `the chart starts from the history (${points} points)`);
  assert.equal(await page.getByTestId('settlements').locator('tbody tr').count(), 2);
  assert.equal(await waitOctas(page, '[data-testid="total-refunded"]', (v) => v > 0n), 600_000n);
  assert.match(await page.getByTestId('output-cid').innerText(), /^bafkrei/);
  await SHOTS(page, 'job-finished');
  await page.close();
});

test('a running job: the page pays every second and the chart rises from its history', async () => {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/jobs/view/?id=2`);
  await page.getByTestId('job-view').waitFor();
  const first = await waitOctas(page, '[data-testid="payment-chart"]', (v) => v >= 180_000n, 20_000, 'data-max');
  // The seeded history says 184000 octas vouchered: the page resumes from there, never from zero.
  const charged = await waitOctas(page, '[data-testid="payer"]', (v) => v > 184_000n, 20_000, 'data-charged');
  await waitOctas(page, '[data-testid="payer"]', (v) => v >= charged + 6000n, 20_000, 'data-charged');
  await waitOctas(page, '[data-testid="payment-chart"]', (v) => v > first, 20_000, 'data-max');
  await page.getByTestId('logs').getByText('step').first().waitFor();
  assert.equal(await page.getByTestId('payer-phase').innerText(), 'paying every second');
  await SHOTS(page, 'job-running');
  await page.close();
});

test('my jobs, and nothing fetched from outside', async () => {
  const page = await ctx.newPage();
  await page.goto(`${BASE}/jobs/view/`);
  await page.getByTestId('my-jobs').waitFor();
  await SHOTS(page, 'my-jobs');
  await page.close();
  assert.deepEqual(external, []);
  assert.deepEqual(pageErrors, []);
});
