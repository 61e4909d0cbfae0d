// Debian's Chromium driven by playwright-core (never `playwright install`). Each party gets its
// own browser context; every request a page makes is recorded, and every response body kept,
// so a test can check where the page went and what it was sent.

import { chromium } from 'playwright-core';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './demo.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'e2e/artifacts');

/** Removes the screenshots whose names start with `prefix` (each test file has its own) from
 *  e2e/artifacts/, so that it holds only those of this run; test files may run in parallel. */
export function clearArtifacts(prefix) {
  if (!existsSync(ARTIFACTS)) return;
  for (const name of readdirSync(ARTIFACTS)) {
    if (name.startsWith(prefix)) rmSync(path.join(ARTIFACTS, name), { recursive: true, force: true });
  }
}

export async function launch() {
  mkdirSync(ARTIFACTS, { recursive: true });
  // launch() starts Chromium on a fresh temporary user-data-dir of its own (deleted on
  // close), and each newContext() is a separate incognito-like profile: one per party.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
}

/** A page for one party, recording { requests: [url], bodies: [{url, text}] , errors: [] }. */
export async function partyPage(browser, viewport = { width: 1440, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const record = { requests: [], bodies: [], errors: [], pending: [] };
  page.on('request', (request) => record.requests.push(request.url()));
  page.on('pageerror', (error) => record.errors.push(error.message));
  page.on('response', (response) => {
    // The alert stream never ends: its content is checked by reading the same stream as the
    // same party from the test (demo.streamText).
    if ((response.headers()['content-type'] || '').startsWith('text/event-stream')) return;
    record.pending.push(response.text()
      .then((text) => record.bodies.push({ url: response.url(), text }))
      .catch(() => {}));
  });
  return { context, page, record };
}

export async function signIn(page, url, token) {
  await page.goto(url);
  await page.fill('#token', token);
  await page.press('#token', 'Enter');
  await page.waitForSelector('#app:not([hidden])');
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}
