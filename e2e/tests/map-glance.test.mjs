// The map, at a glance (issue 18, point 3): the legend is folded at first; the first view fits
// the signed-in party's operations, open alerts and own zones; conflict labels tell shapes apart
// (other party, UTC window, own callsign, the alert's short id as on its card) and no two
// labels overlap, at 1280×720 and 1920×1080; the hotline opens on the thread with the latest
// message, and a card offers to message the other party about its alert; a new WARNING or FLASH
// message is announced in the title of a tab in the background (and by a chime if switched on);
// the inbox has a compact mode; towns are named by zoom (every town of the data at 1:250,000)
// under the picture's labels, and loading the 1:10m basemap no longer freezes the page. The
// tests run in order, on one demo server of their own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startDemo, api, ROOT, SCENARIO } from '../lib/demo.mjs';
import { minPopulation } from '../../web/places.js';
import { clearArtifacts, launch, partyPage, signIn, shot } from '../lib/browser.mjs';

const WAIT_MS = 10000;
const VIEWPORTS = [{ width: 1280, height: 720 }, { width: 1920, height: 1080 }];
const alertClass = (id) => `alert-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
/** The vendored places (GeoNames): [name, lon, lat, population]. */
const PLACES = JSON.parse(readFileSync(path.join(ROOT, 'web/vendor/places/places.json'), 'utf8')).places;

let demo;
let browser;
/** What every page opened here recorded: checked at the end for errors and foreign requests. */
const records = [];

before(async () => {
  clearArtifacts('glance-');
  demo = await startDemo();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Signs `party` in at `viewport` and waits until the first view is fitted and labels placed. */
async function open(party, viewport) {
  const p = await partyPage(browser, viewport);
  records.push({ party, record: p.record });
  // The main thread's long tasks (50 ms and over), from the page's own PerformanceObserver.
  await p.page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longTasks.push([entry.startTime, entry.duration]);
    }).observe({ type: 'longtask', buffered: true });
  });
  await signIn(p.page, demo.url, demo.tokens[party]);
  await p.page.waitForSelector('#map[data-fitted]', { timeout: WAIT_MS });
  await p.page.locator('.leaflet-basemap-pane path').first().waitFor({ state: 'attached', timeout: WAIT_MS });
  await settle(p.page);
  return p;
}

/** A locator's box, waiting while it is being drawn again (null in between). */
async function settledBox(locator) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const box = await locator.boundingBox().catch(() => null);
    if (box || Date.now() > deadline) return box;
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Lets Leaflet finish fading labels in and out and the labels be placed again. */
async function settle(page) {
  await page.waitForTimeout(700);
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
}

/** Every label a reader sees on the map now: its text and box. */
function visibleLabels(page) {
  return page.evaluate(() => {
    const map = document.querySelector('#map').getBoundingClientRect();
    return [...document.querySelectorAll('#map .lbl')].flatMap((el) => {
      const style = getComputedStyle(el);
      const box = el.getBoundingClientRect();
      const onMap = box.right > map.left && box.left < map.right && box.bottom > map.top && box.top < map.bottom;
      if (style.visibility === 'hidden' || style.display === 'none' || Number(style.opacity) === 0 || !onMap) return [];
      if (box.width === 0 && box.height === 0) return [];
      return [{ text: el.innerText.replace(/\s+/g, ' ').trim(), cls: el.className, left: box.left, right: box.right, top: box.top, bottom: box.bottom }];
    });
  });
}

/** Shows a view through the address (#map=ZOOM/LAT/LON) and waits for its labels. */
async function goTo(page, zoom, lat, lon) {
  await page.evaluate((hash) => { window.location.hash = hash; }, `#map=${zoom}/${lat}/${lon}`);
  await page.waitForFunction((z) => document.querySelector('#map').dataset.view.endsWith(`,${z}`), zoom, { timeout: WAIT_MS });
  await settle(page);
}

/** The names of the places whose labels a reader sees now. */
async function placeNames(page) {
  return (await visibleLabels(page)).filter((l) => /place-label/.test(l.cls)).map((l) => l.text.replace(/^●\s*/, ''));
}

function assertNoOverlap(labels, what) {
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i];
      const b = labels[j];
      const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
      assert.ok(!overlap, `${what}: "${a.text}" overlaps "${b.text}"`);
    }
  }
}

/** [south, west, north, east] of a footprint or GeoJSON region, in degrees. */
function extent(geometry) {
  if (geometry.type === 'Circle') {
    const [lon, lat] = geometry.center;
    const dLat = geometry.radius_m / 111320;
    const dLon = geometry.radius_m / (111320 * Math.cos((lat * Math.PI) / 180));
    return [lat - dLat, lon - dLon, lat + dLat, lon + dLon];
  }
  const points = geometry.type === 'MultiPolygon' ? geometry.coordinates.flat(2) : geometry.type === 'Polygon' ? geometry.coordinates.flat() : [geometry.coordinates].flat(1);
  const lats = points.map((p) => p[1]);
  const lons = points.map((p) => p[0]);
  return [Math.min(...lats), Math.min(...lons), Math.max(...lats), Math.max(...lons)];
}

test('the legend is folded at first, a small toggle that opens and folds with a click or the keyboard', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  const legend = page.locator('.legend');
  assert.equal(await legend.locator('details').evaluate((d) => d.open), false, 'folded at first');
  const folded = await legend.boundingBox();
  const map = await page.locator('#map').boundingBox();
  assert.ok(folded.width * folded.height < 0.01 * map.width * map.height, `the folded legend is small: ${folded.width}×${folded.height}`);
  await legend.locator('summary').click();
  assert.equal(await legend.locator('details').evaluate((d) => d.open), true, 'a click opens it');
  const opened = await legend.boundingBox();
  assert.ok(opened.height > 4 * folded.height, 'open, it shows the key');
  assert.ok(opened.width <= 360, `open, it stays narrow: ${opened.width}px`);
  await shot(page, 'glance-01-legend-open');
  await legend.locator('summary').focus();
  await page.keyboard.press('Enter');
  assert.equal(await legend.locator('details').evaluate((d) => d.open), false, 'Enter folds it again');
  await context.close();
});

test("the first view fits each party's operations, open alerts and own zones", async () => {
  const { zones } = await api(demo, 'coalition', 'GET', '/v1/zones');
  for (const party of SCENARIO.parties.map((p) => p.id)) {
    const { page, context } = await open(party, VIEWPORTS[0]);
    const [south, west, north, east] = (await page.locator('#map').getAttribute('data-bounds')).split(',').map(Number);
    const { operations, others } = await api(demo, party, 'GET', '/v1/operations');
    const { alerts } = await api(demo, party, 'GET', '/v1/alerts?state=open');
    const openIds = new Set(alerts.map((a) => a.id));
    const must = [
      ...operations.flatMap((o) => o.volumes.map((v, i) => [`operation ${o.id} volume ${i + 1}`, v.footprint])),
      ...zones.filter((z) => z.owner === party).map((z) => [`own zone ${z.id}`, z.footprint]),
      ...operations.flatMap((o) => (o.conflicts || []).filter((c) => openIds.has(c.alert_id) && c.overlap?.region)
        .map((c) => [`conflict ${c.alert_id}`, c.overlap.region])),
      ...(others || []).flatMap((o) => o.overlaps.filter((x) => openIds.has(o.alert_id) && x?.region).map((x) => [`conflict ${o.alert_id}`, x.region])),
    ];
    assert.ok(must.length > 0, `${party}: something of its own to fit`);
    const eps = 1e-3;
    for (const [what, geometry] of must) {
      const [s, w, n, e] = extent(geometry);
      assert.ok(s >= south - eps && n <= north + eps && w >= west - eps && e <= east + eps,
        `${party}: ${what} [${s.toFixed(2)},${w.toFixed(2)},${n.toFixed(2)},${e.toFixed(2)}] in view [${south},${west},${north},${east}]`);
    }
    // Fitted, not merely zoomed out: at least one side of what must be seen is near the edge.
    const all = must.map(([, g]) => extent(g));
    const span = [Math.min(...all.map((x) => x[0])), Math.min(...all.map((x) => x[1])), Math.max(...all.map((x) => x[2])), Math.max(...all.map((x) => x[3]))];
    const fill = Math.max((span[2] - span[0]) / (north - south), (span[3] - span[1]) / (east - west));
    const zoom = Number((await page.locator('#map').getAttribute('data-view')).split(',')[2]);
    assert.ok(fill > 0.4 || zoom >= 9, `${party}: the view is fitted (fill ${fill.toFixed(2)}, zoom ${zoom})`);
    await shot(page, `glance-02-first-view-${party}`);
    await context.close();
  }
});

test('conflict labels name the other party, the UTC window, the own callsign and the short id on the card; no labels overlap', async () => {
  for (const viewport of VIEWPORTS) {
    for (const party of ['coalition', 'russia']) {
      const { page, context } = await open(party, viewport);
      const what = `${party} at ${viewport.width}×${viewport.height}`;
      const { alerts } = await api(demo, party, 'GET', '/v1/alerts?state=open');
      const { operations } = await api(demo, party, 'GET', '/v1/operations');
      const conflicts = alerts.filter((a) => a.kind === 'strategic_conflict' && a.conflicts?.some((c) => c.overlap));
      assert.ok(conflicts.length >= 2, `${what}: the demo has plan conflicts`);
      for (const alert of conflicts) {
        const c = alert.conflicts.find((x) => x.overlap);
        const callsign = operations.find((o) => o.id === c.own_operation)?.callsign;
        const label = page.locator(`.leaflet-tooltip.conflict-label.${alertClass(alert.id)}`).first();
        await label.waitFor({ state: 'attached', timeout: WAIT_MS });
        // (textContent: a label hidden for room has no innerText; its two lines are joined.)
        const text = (await label.evaluate((el) => [...el.childNodes].map((n) => n.textContent).join(' '))).replace(/\s+/g, ' ').trim();
        const short = await page.locator(`#alerts .alert[data-id="${alert.id}"] .id b`).innerText();
        assert.ok(alert.id.startsWith(short) && short.length < alert.id.length, `${what}: the card shows a short id (${short})`);
        const hhmm = (t) => new Date(t).toISOString().slice(11, 16);
        // "21:30–23:30Z" within a day; across midnight UTC each end has its own Z and the later
        // its date ("21:30Z–7 Dec 00:30Z"): the demo's windows follow the clock, so both occur.
        const window = new RegExp(`${hhmm(c.overlap.time_start)}Z?–(\\d{1,2} [A-Z][a-z]{2} )?${hhmm(c.overlap.time_end)}Z`);
        assert.match(text, new RegExp(`${alert.severity.toUpperCase()} · ${c.other_party} · `), `${what}: severity and other party: ${text}`);
        assert.match(text, window, `${what}: the UTC window: ${text}`);
        assert.ok(callsign && text.includes(callsign), `${what}: own callsign ${callsign}: ${text}`);
        assert.ok(text.endsWith(short), `${what}: the card's short id ${short}: ${text}`);
      }
      // No two labels a reader sees overlap (zone names, places, sites, callsigns included).
      const labels = await visibleLabels(page);
      assert.ok(labels.length >= 5, `${what}: labels are shown (${labels.length})`);
      assert.ok(labels.some((l) => /conflict-label/.test(l.cls)), `${what}: a conflict label is shown`);
      assertNoOverlap(labels, what);
      // Without the placement they would: the hidden labels, shown, overlap one shown.
      const hidden = await page.locator('#map .lbl.lbl-hidden').count();
      await shot(page, `glance-03-labels-${party}-${viewport.width}`);
      if (hidden > 0) {
        await page.evaluate(() => document.querySelector('#map').classList.add('lbl-all'));
        await page.addStyleTag({ content: '#map.lbl-all .lbl-hidden { visibility: visible !important; }' });
        const all = await visibleLabels(page);
        assert.throws(() => assertNoOverlap(all, what), `${what}: the ${hidden} hidden labels would have overlapped`);
      }
      await context.close();
    }
  }
});

test('a label hidden for room shows while the pointer is over its shape, and when its alert is selected', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  // Zoom out until some conflict label gives way to another.
  let hidden = null;
  for (let i = 0; i < 4 && !hidden; i++) {
    hidden = await page.evaluate(() => [...document.querySelectorAll('#map .conflict-label.lbl-hidden')]
      .map((el) => el.className.match(/\balert-\S+/)?.[0])[0] || null);
    if (!hidden) {
      await page.locator('.leaflet-control-zoom-out').click();
      await settle(page);
    }
  }
  assert.ok(hidden, 'zoomed out, a conflict label is hidden for room');
  const isShown = () => page.locator(`.conflict-label.${hidden}`).first().evaluate((el) => getComputedStyle(el).visibility === 'visible');
  assert.equal(await isShown(), false);
  // The pointer over its region (Leaflet's SVG renderer listens on the path itself).
  const region = page.locator(`path.conflict-region.${hidden}`).first();
  await region.dispatchEvent('mouseover');
  await settle(page);
  assert.equal(await isShown(), true, 'shown while hovered');
  await shot(page, 'glance-04-hovered-label');
  await region.dispatchEvent('mouseout');
  await settle(page);
  assert.equal(await isShown(), false, 'hidden again after');
  // Selected from its card with the keyboard: shown, and still no overlap.
  const id = (await region.getAttribute('class')).match(/\balert-(\S+)/)[1];
  const card = page.locator(`#alerts .alert[data-id="${id}"]`);
  await card.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction((cls) => [...document.querySelectorAll(`.conflict-label.${cls}`)].some((el) => getComputedStyle(el).visibility === 'visible'), hidden, { timeout: WAIT_MS });
  await settle(page);
  assertNoOverlap(await visibleLabels(page), 'after selecting');
  await shot(page, 'glance-04-selected-label');
  await context.close();
});

test('the hotline opens on the thread with the latest message; a card messages the other party about its alert', async () => {
  // Coalition's threads, alphabetically: iraq-caa, joint-cell, russia. The latest message is
  // russia's, so the hotline must open there, not on iraq-caa.
  await api(demo, 'coalition', 'POST', '/v1/messages', { to: ['joint-cell'], priority: 'routine', text: 'Tanker track moves 10 NM east at 14Z' });
  await api(demo, 'russia', 'POST', '/v1/messages', { to: ['coalition'], priority: 'priority', text: 'SOKOL 21 holding north of Latakia' });
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  await page.locator('#threads button[aria-selected="true"]').waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#threads button[aria-selected="true"]').getAttribute('data-party'), 'russia');
  assert.match(await page.locator('#messages').innerText(), /SOKOL 21 holding/);
  // And the other way round, for joint-cell: its only thread.
  const { alerts } = await api(demo, 'coalition', 'GET', '/v1/alerts?state=open');
  const alert = alerts.find((a) => a.kind === 'zone_entry' && a.recipients.includes('joint-cell'));
  assert.ok(alert, 'coalition has a zone entry alert with joint-cell');
  const card = page.locator(`#alerts .alert[data-id="${alert.id}"]`);
  const button = card.locator('button.msg-about');
  assert.equal(await button.getAttribute('aria-label'), `Message joint-cell about alert ${alert.id}`);
  await button.focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#threads button[aria-selected="true"]').getAttribute('data-party'), 'joint-cell');
  const short = await card.locator('.id b').innerText();
  assert.equal(await page.locator('#send-ref-id').innerText(), short);
  assert.ok(await page.locator('#send-ref').isVisible(), 'the send box says what the message is about');
  assert.ok(await page.locator('#send-text').evaluate((el) => el === document.activeElement), 'the text box has the focus');
  assert.equal(await page.locator('#send-text').inputValue(), `Re alert ${short}: `);
  await page.keyboard.type('COBRA 05 will keep clear of the naval area until 13Z');
  await page.keyboard.press('Control+Enter');
  await page.locator('.msg.mine', { hasText: 'COBRA 05 will keep clear' }).waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#send-ref').isVisible(), false, 'sent: the reference is cleared');
  const { messages } = await api(demo, 'joint-cell', 'GET', '/v1/messages');
  const sent = messages.find((m) => m.text.includes('COBRA 05 will keep clear'));
  assert.deepEqual(sent.reference, { kind: 'alert', id: alert.id }, 'the message references the alert');
  assert.ok(sent.text.startsWith(`Re alert ${short}: `));
  // The recipient sees what it is about, and a click on it selects the alert.
  const jc = await open('joint-cell', VIEWPORTS[0]);
  const ref = jc.page.locator('.msg', { hasText: 'COBRA 05 will keep clear' }).locator('button.ref');
  await ref.waitFor({ timeout: WAIT_MS });
  const jcShort = await jc.page.locator(`#alerts .alert[data-id="${alert.id}"] .id b`).innerText();
  assert.equal(await ref.innerText(), `re alert ${jcShort}`);
  await ref.click();
  await jc.page.locator(`#alerts .alert.selected[data-id="${alert.id}"]`).waitFor({ timeout: WAIT_MS });
  await shot(jc.page, 'glance-05-joint-cell-message-about-alert');
  await shot(page, 'glance-05-coalition-sent-about-alert');
  await jc.context.close();
  await context.close();
});

/** Makes the page believe its tab is in the background (or back in front): Chromium keeps a
 *  headless page visible, so the visibility the page reads is set as the browser would. */
async function setHidden(page, hidden) {
  await page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

test('a tab in the background announces a FLASH message and a new WARNING in its title, and chimes if asked', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  assert.equal(await page.title(), 'deconflict — coalition');
  await page.locator('#threads button[data-party="russia"]').click();
  const chimes = async () => Number(await page.evaluate(() => document.body.dataset.chimes || 0));
  // The chime is off until switched on; switching it on plays one to confirm.
  assert.equal(await page.locator('#sound').getAttribute('aria-pressed'), 'false');
  await page.locator('#sound').click();
  assert.equal(await page.locator('#sound').getAttribute('aria-pressed'), 'true');
  assert.equal(await chimes(), 1);
  // In front, nothing is announced: the operator sees it.
  await api(demo, 'russia', 'POST', '/v1/messages', { to: ['coalition'], priority: 'flash', text: 'visible flash' });
  await page.locator('.msg', { hasText: 'visible flash' }).waitFor({ state: 'attached', timeout: WAIT_MS });
  await page.waitForTimeout(500);
  assert.equal(await page.title(), 'deconflict — coalition');
  assert.equal(await chimes(), 1);

  await setHidden(page, true);
  // A routine message is not announced, a flash one is.
  await api(demo, 'russia', 'POST', '/v1/messages', { to: ['coalition'], priority: 'routine', text: 'routine in background' });
  await page.locator('.msg', { hasText: 'routine in background' }).waitFor({ state: 'attached', timeout: WAIT_MS });
  await page.waitForTimeout(500);
  assert.equal(await page.title(), 'deconflict — coalition');
  await api(demo, 'russia', 'POST', '/v1/messages', { to: ['coalition'], priority: 'flash', text: 'SOKOL 21 turning south NOW' });
  await page.waitForFunction(() => document.title.startsWith('(1) FLASH message'), null, { timeout: WAIT_MS });
  assert.equal(await page.title(), '(1) FLASH message — deconflict — coalition');
  assert.equal(await chimes(), 2);
  // A new WARNING: two aircraft at the same level 1 km apart, a loss of separation now.
  const time = new Date().toISOString();
  await api(demo, 'coalition', 'POST', '/v1/positions', [{ track_id: 'e2e-gl-viper', callsign: 'VIPER 31', time, lat_deg: 35.90, lon_deg: 35.60,
    altitude_m: 8200, ground_speed_mps: 200, track_deg: 90, vertical_rate_mps: 0 }]);
  await api(demo, 'russia', 'POST', '/v1/positions', [{ track_id: 'e2e-gl-sokol', callsign: 'SOKOL 31', time, lat_deg: 35.90, lon_deg: 35.61,
    altitude_m: 8200, ground_speed_mps: 200, track_deg: 270, vertical_rate_mps: 0 }]);
  await page.waitForFunction(() => /WARNING/.test(document.title), null, { timeout: WAIT_MS });
  assert.match(await page.title(), /^\(\d+\) ▲ WARNING( ×\d+)? · FLASH message — deconflict — coalition$/);
  assert.ok(await chimes() >= 3, 'chimed for the warning');
  const { alerts } = await api(demo, 'coalition', 'GET', '/v1/alerts?state=open');
  assert.ok(alerts.some((a) => a.severity === 'warning' && a.kind === 'tactical_conflict'), 'the API has the warning');
  await shot(page, 'glance-06-background-warning');
  // Back in front: the title is restored.
  await setHidden(page, false);
  assert.equal(await page.title(), 'deconflict — coalition');
  // Switched off, nothing chimes (the title still counts).
  await page.locator('#sound').click();
  const before = await chimes();
  await setHidden(page, true);
  await api(demo, 'russia', 'POST', '/v1/messages', { to: ['coalition'], priority: 'flash', text: 'second flash' });
  await page.waitForFunction(() => document.title.startsWith('(1) FLASH'), null, { timeout: WAIT_MS });
  assert.equal(await chimes(), before);
  await setHidden(page, false);
  await context.close();
});

test('the compact inbox shows one line per alert, so more fit; the choice is kept', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  const cards = page.locator('#alerts .alert');
  const count = await cards.count();
  assert.ok(count >= 4, `coalition has several open alerts (${count})`);
  const fits = () => page.evaluate(() => {
    const list = document.querySelector('#alerts').getBoundingClientRect();
    return [...document.querySelectorAll('#alerts .alert')].filter((el) => el.getBoundingClientRect().bottom <= list.bottom + 1).length;
  });
  const full = await fits();
  await page.locator('#compact').click();
  assert.equal(await page.locator('#compact').getAttribute('aria-pressed'), 'true');
  const compact = await fits();
  assert.ok(compact > full && compact >= Math.min(count, 6), `compact shows more cards (${full} -> ${compact} of ${count})`);
  for (const height of await cards.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height))) {
    assert.ok(height <= 30, `one line per alert (${height}px)`);
  }
  // Each line keeps the severity in words, the short id and the Acknowledge button.
  const first = cards.first();
  assert.match(await first.innerText(), /(warning|caution|advisory)/i);
  assert.ok(await first.locator('.id b').isVisible());
  assert.ok(await first.locator('button.ack').isVisible());
  await shot(page, 'glance-07-compact-inbox');
  // Kept across a reload (the token stays in the tab).
  await page.reload();
  await page.waitForSelector('#app:not([hidden])');
  await page.locator('#alerts .alert').first().waitFor({ timeout: WAIT_MS });
  assert.equal(await page.locator('#compact').getAttribute('aria-pressed'), 'true');
  assert.ok(await page.locator('#alerts').evaluate((el) => el.classList.contains('compact')));
  await context.close();
});

test('the timeline strip shows own operations and conflict windows, a now-line, and selects on click', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[1]);
  const { operations } = await api(demo, 'coalition', 'GET', '/v1/operations');
  const { alerts } = await api(demo, 'coalition', 'GET', '/v1/alerts?state=open');
  const volumes = operations.reduce((n, o) => n + o.volumes.length, 0);
  assert.equal(await page.locator('#timeline .tl-op').count(), volumes, 'a bar per own volume');
  const conflicts = alerts.filter((a) => a.conflicts?.some((c) => c.overlap));
  for (const alert of conflicts) {
    assert.ok(await page.locator(`#timeline .tl-alert[data-id="${alert.id}"]`).count() >= 1, `a bar for ${alert.id}`);
  }
  assert.ok(await page.locator('#timeline .tl-now').isVisible(), 'the now-line');
  // A bar sits where its window is: the first operation's first volume, against the axis.
  const lanes = await settledBox(page.locator('#timeline .tl-lanes'));
  const slider = await page.locator('#time').evaluate((s) => [Number(s.min) * 1000, Number(s.max) * 1000]);
  const op = operations[0];
  const bar = await settledBox(page.locator(`#timeline .tl-op[data-id="${op.id}"]`).first());
  const expected = lanes.x + lanes.width * (Date.parse(op.volumes[0].time_start) - slider[0]) / (slider[1] - slider[0]);
  assert.ok(Math.abs(bar.x - Math.max(lanes.x, expected)) < 3, `the bar starts at its time (${bar.x} vs ${expected})`);
  // A conflict's bar selects its card (and the map zooms to it); its tooltip names it.
  const alert = conflicts[0];
  const title = await page.locator(`#timeline .tl-alert[data-id="${alert.id}"]`).first().getAttribute('title');
  assert.match(title, new RegExp(`^\\S+ ${alert.severity.toUpperCase()} \\S+: `), `the bar's tooltip: ${title}`);
  const before = await page.locator('#map').getAttribute('data-view');
  await page.locator(`#timeline .tl-alert[data-id="${alert.id}"]`).first().click();
  await page.locator(`#alerts .alert.selected[data-id="${alert.id}"]`).waitFor({ timeout: WAIT_MS });
  await page.waitForFunction((v) => document.querySelector('#map').dataset.view !== v, before, { timeout: WAIT_MS });
  // An operation's bar zooms the map onto it, with the keyboard too.
  await page.locator(`#timeline .tl-op[data-id="${op.id}"]`).first().focus();
  await page.keyboard.press('Enter');
  // The map flies there: wait for the view to settle on it (the flight is slower on a loaded machine).
  const [s, w, n, e] = extent(op.volumes[0].footprint);
  const centred = await page.waitForFunction(([s, w, n, e]) => {
    const [lat, lng] = document.querySelector('#map').dataset.view.split(',').map(Number);
    return lat > s - 1 && lat < n + 1 && lng > w - 1 && lng < e + 1;
  }, [s, w, n, e], { timeout: WAIT_MS }).then(() => true, () => false);
  const [lat, lng] = (await page.locator('#map').getAttribute('data-view')).split(',').map(Number);
  assert.ok(centred, `centred on ${op.id} (${lat}, ${lng})`);
  // A click on the strip's background sets the time filter there, and the cursor shows it.
  assert.equal(await page.locator('#time-on').isChecked(), false);
  const at = 0.9;
  // (On the hour axis, where no bar is.)
  // (The strip is drawn again as alerts arrive: read its axis once it stands.)
  const axis = await settledBox(page.locator('#timeline .tl-axis'));
  await page.mouse.click(lanes.x + lanes.width * at, axis.y + axis.height / 2);
  assert.equal(await page.locator('#time-on').isChecked(), true, 'the time filter is on');
  const t = Number(await page.locator('#time').inputValue()) * 1000;
  const wanted = slider[0] + at * (slider[1] - slider[0]);
  assert.ok(Math.abs(t - wanted) < 5 * 60000, `the filter is at the clicked time (${new Date(t).toISOString()} vs ${new Date(wanted).toISOString()})`);
  // The cursor is drawn on the next frame after the click: wait for it, then read it.
  const cursorAt = (x) => page.waitForFunction(([x, tolerance]) => {
    const box = document.querySelector('#timeline .tl-cursor')?.getBoundingClientRect();
    return box && box.width >= 0 && Math.abs(box.x - x) < tolerance;
  }, [x, 4], { timeout: WAIT_MS }).then(() => true, () => false);
  assert.ok(await cursorAt(lanes.x + lanes.width * at), 'the cursor is where the filter is');
  const cursor = await settledBox(page.locator('#timeline .tl-cursor'));
  await shot(page, 'glance-08-timeline');
  // And moving the slider moves the cursor.
  await page.locator('#time').evaluate((el, v) => { el.value = String(v); el.dispatchEvent(new Event('input', { bubbles: true })); }, Math.round(slider[0] / 1000 + 60));
  await page.waitForFunction((limit) => {
    const box = document.querySelector('#timeline .tl-cursor')?.getBoundingClientRect();
    return box && box.x < limit;
  }, cursor.x - lanes.width * 0.5, { timeout: WAIT_MS }).catch(() => {});
  const moved = await settledBox(page.locator('#timeline .tl-cursor'));
  assert.ok(moved.x < cursor.x - lanes.width * 0.5, 'the cursor follows the slider');
  await context.close();
});

test('towns by zoom: every town of the data at zoom 11 on the Syrian coast, only large cities at zoom 6, never over the picture\'s labels', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  const population = (name) => Math.max(...PLACES.filter(([n]) => n === name).map(([, , , p]) => p));
  // Zoom 11 (about 1:250,000 here) between Jablah and Baniyas, on the coast south of Latakia.
  await goTo(page, 11, 35.27, 35.94);
  const coast = await placeNames(page);
  assert.ok(coast.includes('Jablah') && coast.includes('Bāniyās'), `named at zoom 11: ${coast.join(', ')}`);
  assert.ok(coast.some((name) => population(name) < 5000), `villages too at zoom 11: ${coast.join(', ')}`);
  assertNoOverlap(await visibleLabels(page), 'zoom 11 on the coast');
  await shot(page, 'glance-10-towns-zoom11');
  // Zoom 6 over Syria: the large cities only.
  await goTo(page, 6, 35, 38);
  const wide = await placeNames(page);
  assert.ok(wide.length >= 3, `large cities at zoom 6: ${wide.join(', ')}`);
  for (const name of wide) assert.ok(population(name) >= minPopulation(6) && population(name) >= 200000, `${name} (${population(name)}) is a large city`);
  // (Aleppo and Damascus are on the map, named unless a label of the picture is over them.)
  const onMap = await page.locator('#map .place-label').evaluateAll((els) => els.map((el) => el.textContent.replace(/^●\s*/, '').trim()));
  assert.ok(onMap.includes('Aleppo') && onMap.includes('Damascus'), `on the map at zoom 6: ${onMap.join(', ')}`);
  assert.equal(await page.locator('#map .place-label', { hasText: 'Jablah' }).count(), 0, 'no town at zoom 6');
  // Where the conflicts and zones are (the first view, and Latakia at zoom 9 and 10): place
  // labels show, and none overlaps a conflict label, a zone name or anything else.
  let pictured = 0;
  for (const [zoom, lat, lon] of [[9, 35.3, 35.9], [10, 35.0, 35.85], [8, 35.2, 36.3]]) {
    await goTo(page, zoom, lat, lon);
    const labels = await visibleLabels(page);
    assert.ok(labels.some((l) => /place-label/.test(l.cls)), `zoom ${zoom}: places are named`);
    pictured += labels.filter((l) => /conflict-label|zone-label/.test(l.cls)).length;
    assertNoOverlap(labels, `zoom ${zoom} at ${lat},${lon}`);
  }
  assert.ok(pictured > 0, 'conflict or zone labels were in those views with the places');
  // Only the places in view (and a margin) are on the map.
  const count = Number(await page.locator('#map').getAttribute('data-places'));
  assert.ok(count > 0 && count <= 150 && count < PLACES.length / 10, `${count} places on the map`);
  await context.close();
});

/** A functional bound, not a benchmark: the 1:10m basemap held the page for 1.4–1.7 s when it
 *  was built on the main thread; a zoom's redraw here takes up to about 100 ms, 220 ms seen
 *  with other builds loading both cores. */
const LONGEST_TASK_MS = 400;

test('no freeze: after sign-in, no main-thread task reaches 400 ms while the 1:10m basemap loads and the map zooms', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[1]);
  const since = await page.evaluate(() => performance.now());
  // The worker's 1:10m region for the view, then others as the view moves and zooms.
  for (const [zoom, lat, lon] of [[7, 35, 36.5], [11, 35.27, 35.94], [6, 34, 40], [9, 33.5, 36.3]]) {
    await goTo(page, zoom, lat, lon);
    await page.waitForFunction(() => document.querySelector('#map').dataset.basemap === '10m', null, { timeout: 30000 });
  }
  await page.waitForTimeout(500);
  const tasks = (await page.evaluate(() => window.longTasks)).filter(([start]) => start >= since);
  const longest = Math.max(0, ...tasks.map(([, duration]) => duration));
  assert.ok(longest < LONGEST_TASK_MS, `longest task ${Math.round(longest)} ms (${tasks.length} long tasks)`);
  await context.close();
});

test('the basemap has clear land and sea, and 1:10m coasts and borders when zoomed in', async () => {
  const { page, context } = await open('coalition', VIEWPORTS[0]);
  const luminance = (rgb) => {
    const [r, g, b] = rgb.match(/\d+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const sea = await page.locator('#map').evaluate((el) => getComputedStyle(el).backgroundColor);
  const land = await page.locator('.leaflet-basemap-pane path[fill^="#"]').first().getAttribute('fill');
  const hex = (h) => `rgb(${parseInt(h.slice(1, 3), 16)}, ${parseInt(h.slice(3, 5), 16)}, ${parseInt(h.slice(5, 7), 16)})`;
  const ratio = (luminance(hex(land)) + 0.05) / (luminance(sea) + 0.05);
  assert.ok(ratio >= 1.3, `land ${land} against sea ${sea}: contrast ${ratio.toFixed(2)}`);
  // Zoomed in on Latakia, the 1:10m coasts replace the 1:50m ones.
  await page.locator('#alerts .alert').first().click();
  await page.waitForFunction(() => document.querySelector('#map').dataset.basemap === '10m', null, { timeout: 20000 });
  await shot(page, 'glance-09-basemap-10m');
  await context.close();
});

test('no page raised an error or requested anything from another origin', async () => {
  const origin = new URL(demo.url).origin;
  assert.ok(records.length > 10, 'pages were recorded');
  for (const { party, record } of records) {
    assert.deepEqual(record.errors, [], `${party}: page errors`);
    const foreign = record.requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    assert.deepEqual(foreign, [], `${party}: requests to other origins`);
  }
});
