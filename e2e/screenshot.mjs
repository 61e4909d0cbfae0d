// Regenerates docs/demo-map.png: the demo as the coalition sees it, with two of its aircraft
// reported through the API (the demo does not fly tracks by itself yet).
//
//   cargo build -p deconflict && (cd e2e && npm ci) && node e2e/screenshot.mjs
//
// Uses target/debug/deconflict (or $DECONFLICT_BIN) and /usr/bin/chromium (or $CHROMIUM).

import path from 'node:path';
import { startDemo, ROOT } from './lib/demo.mjs';
import { launch, partyPage, signIn } from './lib/browser.mjs';
import { coalitionTracks, reportTracks } from './lib/tracks.mjs';

const OUT = path.join(ROOT, 'docs/demo-map.png');
const demo = await startDemo();
const browser = await launch();
try {
  await reportTracks(demo, 'coalition', coalitionTracks());
  const { page } = await partyPage(browser, { width: 1440, height: 900 });
  await signIn(page, demo.url, demo.tokens.coalition);
  await page.locator('.leaflet-tooltip.track-label').first().waitFor({ timeout: 10000 });
  await page.locator('.leaflet-basemap-pane path').first().waitFor({ state: 'attached', timeout: 10000 });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: OUT });
  console.log(`wrote ${path.relative(process.cwd(), OUT)}`);
} finally {
  await browser.close();
  await demo.stop();
}
