// Regenerates the README's screenshots: the demo as the coalition sees it on a laptop
// (docs/demo-map-1280x720.png) and on a desktop screen (docs/demo-map-1920x1080.png), with two
// of its aircraft reported through the API (the e2e demo runs without the simulated traffic, so
// the picture does not move under the camera).
//
//   cargo build -p deconflict && (cd e2e && npm ci) && node e2e/screenshot.mjs
//
// Uses target/debug/deconflict (or $DECONFLICT_BIN) and /usr/bin/chromium (or $CHROMIUM).

import path from 'node:path';
import { startDemo, ROOT } from './lib/demo.mjs';
import { launch, partyPage, signIn } from './lib/browser.mjs';
import { coalitionTracks, reportTracks } from './lib/tracks.mjs';

const SIZES = [[1280, 720], [1920, 1080]];
const demo = await startDemo();
const browser = await launch();
try {
  await reportTracks(demo, 'coalition', coalitionTracks());
  for (const [width, height] of SIZES) {
    const out = path.join(ROOT, `docs/demo-map-${width}x${height}.png`);
    const { page, context } = await partyPage(browser, { width, height });
    await signIn(page, demo.url, demo.tokens.coalition);
    await page.locator('.leaflet-tooltip.track-label').first().waitFor({ state: 'attached', timeout: 10000 });
    await page.waitForSelector('#map[data-fitted]', { timeout: 10000 });
    await page.locator('.leaflet-basemap-pane path').first().waitFor({ state: 'attached', timeout: 10000 });
    // The 1:10m basemap is loaded a moment after the first draw (from zoom 6 on).
    await page.waitForFunction(() => document.querySelector('#map').dataset.basemap === '10m'
      || Number(document.querySelector('#map').dataset.view.split(',')[2]) < 6, null, { timeout: 20000 });
    await page.waitForTimeout(1000);
    await page.screenshot({ path: out });
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
    await context.close();
  }
} finally {
  await browser.close();
  await demo.stop();
}
