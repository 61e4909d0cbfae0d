// Browser benchmark (reported, not asserted): the time of one map update with N moving tracks
// at 1 Hz. The coalition reports N tracks through the API every second; its page polls
// /v1/tracks once a second and redraws; the page's own User Timing measures
// ("deconflict:draw-tracks") give the time of each redraw.
//
//   cargo build -p deconflict && (cd e2e && npm ci) && node e2e/bench-tracks.mjs [N] [seconds]

import { startDemo } from './lib/demo.mjs';
import { launch, partyPage, signIn } from './lib/browser.mjs';
import { reportTracks } from './lib/tracks.mjs';

const N = Number(process.argv[2] || 2000);
const SECONDS = Number(process.argv[3] || 15);

/** N aircraft on a grid over the eastern Mediterranean, flying east at 200 m/s. */
function traffic(t) {
  const time = new Date().toISOString();
  return Array.from({ length: N }, (_, i) => ({
    track_id: `bench-${i}`, callsign: `BENCH ${i}`, time,
    lat_deg: 33 + (i % 50) * 0.08, lon_deg: 32 + Math.floor(i / 50) * 0.1 + t * 0.0022,
    altitude_m: 3000 + (i % 40) * 250, ground_speed_mps: 200, track_deg: 90, vertical_rate_mps: 0,
  }));
}

const demo = await startDemo();
const browser = await launch();
try {
  await reportTracks(demo, 'coalition', traffic(0));
  const { page } = await partyPage(browser, { width: 1440, height: 900 });
  await signIn(page, demo.url, demo.tokens.coalition);
  await page.waitForFunction(() => performance.getEntriesByName('deconflict:draw-tracks').length >= 2, null, { timeout: 60000 });
  await page.evaluate(() => performance.clearMeasures());
  let longest = 0;
  for (let t = 1; t <= SECONDS; t++) {
    const started = Date.now();
    await reportTracks(demo, 'coalition', traffic(t));
    // The page must stay responsive: time a trivial round trip into its main thread.
    const ping = Date.now();
    await page.evaluate(() => 1);
    longest = Math.max(longest, Date.now() - ping);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
  }
  const stats = async (name) => {
    const durations = await page.evaluate((n) => performance.getEntriesByName(n).map((m) => m.duration), name);
    durations.sort((a, b) => a - b);
    const pick = (q) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))].toFixed(1);
    return `${durations.length} updates, median ${pick(0.5)} ms, p90 ${pick(0.9)} ms, max ${pick(1)} ms`;
  };
  console.log(`${N} moving tracks at 1 Hz for ${SECONDS} s (headless Chromium, 1440x900):`);
  console.log(`  update (fetch parsed -> layers moved):     ${await stats('deconflict:draw-tracks')}`);
  console.log(`  update and canvas repaint (next frame):    ${await stats('deconflict:draw-tracks-painted')}`);
  console.log(`  slowest main-thread round trip meanwhile:  ${longest} ms`);
} finally {
  await browser.close();
  await demo.stop();
}
