// Browser measurement (reported, not asserted): the longest main-thread task (the browser's
// PerformanceObserver 'longtask' entries, 50 ms and over) from pressing Enter on the sign-in
// form until the 1:10m basemap is drawn and 3 s more have passed; and the longest of those
// that started after the first view was fitted (so after sign-in's own drawing). Repeated in
// fresh browser contexts; prints each run and the medians.
//
//   cargo build -p deconflict && (cd e2e && npm ci) && node e2e/bench-longtask.mjs [runs]

import { startDemo } from './lib/demo.mjs';
import { launch, partyPage } from './lib/browser.mjs';

const RUNS = Number(process.argv[2] || 5);
const demo = await startDemo();
const browser = await launch();
const all = [];
const after = [];
try {
  for (let run = 0; run < RUNS; run += 1) {
    const { page, context } = await partyPage(browser, { width: 1440, height: 900 });
    await page.addInitScript(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.longTasks.push([entry.startTime, entry.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    await page.goto(demo.url);
    await page.fill('#token', demo.tokens.coalition);
    const entered = await page.evaluate(() => performance.now());
    await page.press('#token', 'Enter');
    await page.waitForSelector('#map[data-fitted]', { timeout: 20000 });
    const fitted = await page.evaluate(() => performance.now());
    await page.waitForFunction(() => document.querySelector('#map').dataset.basemap === '10m', null, { timeout: 30000 });
    await page.waitForTimeout(3000);
    const tasks = await page.evaluate(() => window.longTasks);
    const longest = (from) => Math.round(Math.max(0, ...tasks.filter(([start]) => start >= from).map(([, d]) => d)));
    all.push(longest(entered));
    after.push(longest(fitted));
    console.log(`run ${run + 1}: longest task after Enter ${all.at(-1)} ms, after the first view ${after.at(-1)} ms`
      + ` (${tasks.filter(([start]) => start >= entered).length} long tasks)`);
    await context.close();
  }
} finally {
  await browser.close();
  await demo.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`longest main-thread task: after Enter median ${median(all)} ms, after the first view median ${median(after)} ms (${RUNS} runs)`);
