// Browser measurement (reported, not asserted): from pressing Enter on the sign-in form to the
// scenario's conflicts drawn on the map (the first severity label of an overlap region) and
// listed in the inbox. Repeated in fresh browser contexts; prints each time and the median.
//
//   cargo build -p deconflict && (cd e2e && npm ci) && node e2e/bench-signin.mjs [runs]

import { startDemo } from './lib/demo.mjs';
import { launch, partyPage } from './lib/browser.mjs';

const RUNS = Number(process.argv[2] || 7);
const demo = await startDemo();
const browser = await launch();
const times = [];
try {
  for (let run = 0; run < RUNS; run += 1) {
    const { page, context } = await partyPage(browser);
    await page.goto(demo.url);
    await page.fill('#token', demo.tokens.coalition);
    const started = Date.now();
    await page.press('#token', 'Enter');
    // (A label the placement hides for room does not count: one that can be read.)
    await page.locator('.leaflet-tooltip.sev-label:not(.lbl-hidden)').first().waitFor({ state: 'visible' });
    await page.locator('#alerts li.alert').first().waitFor({ state: 'visible' });
    times.push(Date.now() - started);
    await context.close();
  }
} finally {
  await browser.close();
  await demo.stop();
}
times.sort((a, b) => a - b);
console.log(`sign-in to conflicts on the map: ${times.join(', ')} ms; median ${times[Math.floor(times.length / 2)]} ms`);
