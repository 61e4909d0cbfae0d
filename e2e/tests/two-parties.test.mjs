// Two parties, two browser contexts, one demo server: both see the same conflict; an
// acknowledgement and a hotline message made in one page appear in the other; neither page
// receives or shows what the other has not released; a frozen channel disables sending; and no
// page makes a request to any origin but the server's. The tests run in order, on one server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, api, streamText, hiddenMarkers } from '../lib/demo.mjs';
import { clearArtifacts, launch, partyPage, signIn, shot } from '../lib/browser.mjs';
import { coalitionTracks, reportTracks } from '../lib/tracks.mjs';

const WAIT_MS = 10000;
let demo;
let browser;
let coalition;
let russia;
let conflict;

before(async () => {
  clearArtifacts('two-parties-');
  demo = await startDemo();
  conflict = demo.conflicts.find((c) => c.operation === 'coalition/cap-latakia-north' && c.other === 'russia/patrol-latakia');
  assert.ok(conflict, `the demo prints the VIPER/SOKOL conflict:\n${demo.output}`);
  browser = await launch();
  coalition = await partyPage(browser);
  russia = await partyPage(browser);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const alertItem = (party) => party.page.locator(`.alert[data-id="${conflict.alert}"]`);

test('each party signs in and sees the same conflict, from its own side', async () => {
  await signIn(coalition.page, demo.url, demo.tokens.coalition);
  await signIn(russia.page, demo.url, demo.tokens.russia);
  for (const [party, name, own] of [[coalition, 'coalition', 'cap-latakia-north'], [russia, 'russia', 'patrol-latakia']]) {
    await alertItem(party).waitFor({ timeout: WAIT_MS });
    const text = await alertItem(party).innerText();
    assert.match(text, /advisory/i, `${name}: severity written in the inbox`);
    assert.ok(text.includes(own), `${name}: the alert names its own operation ${own}`);
    assert.match(await party.page.locator('#party').innerText(), new RegExp(`\\(${name}\\)`));
    // The overlap region is drawn on the map, labelled with its severity in words.
    await party.page.locator('.leaflet-tooltip.sev-label', { hasText: 'ADVISORY' }).first().waitFor({ timeout: WAIT_MS });
    assert.ok(await party.page.locator('.leaflet-overlay-pane path').count() >= 2, `${name}: footprints and overlaps drawn`);
    // The basemap is drawn (the vendored Natural Earth countries).
    assert.ok(await party.page.locator('.leaflet-basemap-pane path').count() > 0, `${name}: basemap drawn`);
  }
  await shot(coalition.page, 'two-parties-01-coalition-signed-in');
  await shot(russia.page, 'two-parties-01-russia-signed-in');
});

test('selecting an alert with the keyboard zooms the map to its overlap', async () => {
  const page = coalition.page;
  const view = () => page.locator('#map').getAttribute('data-view');
  await page.locator('.leaflet-control-zoom-out').click();
  await page.locator('.leaflet-control-zoom-out').click();
  await page.waitForTimeout(600);
  const zoomedOut = await view();
  await alertItem(coalition).focus();
  await page.keyboard.press('Enter');
  // The map flies there: wait for the view to settle off Latakia (slower on a loaded machine).
  await page.waitForFunction(() => {
    const [lat, lng] = document.querySelector('#map').dataset.view.split(',').map(Number);
    return lat > 35.3 && lat < 36.2 && lng > 35.4 && lng < 36.6;
  }, null, { timeout: WAIT_MS }).catch(() => {});
  await page.waitForTimeout(300);
  const [, , zoomBefore] = zoomedOut.split(',').map(Number);
  const [lat, lng, zoomAfter] = (await view()).split(',').map(Number);
  assert.ok(zoomAfter > zoomBefore, `zoomed in (${zoomBefore} -> ${zoomAfter})`);
  // The VIPER/SOKOL overlap lies off Latakia, around 35.6-35.9 N, 35.7-36.4 E.
  assert.ok(lat > 35.3 && lat < 36.2 && lng > 35.4 && lng < 36.6, `centred on the overlap (${lat}, ${lng})`);
  assert.ok(await alertItem(coalition).evaluate((el) => el.classList.contains('selected')));
  await shot(page, 'two-parties-02-coalition-alert-selected');
});

test('an acknowledgement made with the keyboard in one page appears in the other', async () => {
  const ack = alertItem(coalition).locator('button.ack');
  await ack.focus();
  await coalition.page.keyboard.press('Enter');
  await alertItem(coalition).locator('text=you acknowledged').waitFor({ timeout: WAIT_MS });
  await alertItem(russia).locator('.acks', { hasText: 'Acknowledged by coalition' }).waitFor({ timeout: WAIT_MS });
  assert.match(await alertItem(russia).locator('.acks').innerText(), /awaiting you \(russia\)/);
  await shot(coalition.page, 'two-parties-03-coalition-acknowledged');
  await shot(russia.page, 'two-parties-03-russia-sees-acknowledgement');
});

test('a hotline message sent from one page arrives in the other, with a read receipt', async () => {
  const text = `Turning north now (e2e ${Date.now()})`;
  // Coalition also has threads with the zones' owners named in its alerts: open russia's.
  await coalition.page.locator('#threads button[data-party="russia"]').click();
  await russia.page.locator('#threads button[data-party="coalition"]').click();
  await russia.page.selectOption('#send-priority', 'flash');
  await russia.page.fill('#send-text', text);
  await russia.page.press('#send-text', 'Control+Enter');
  await russia.page.locator('.msg.mine', { hasText: text }).waitFor({ timeout: WAIT_MS });
  // Coalition's thread with russia is open: the message arrives over the stream and is marked
  // read, which russia sees as a receipt.
  const arrived = coalition.page.locator('.msg', { hasText: text });
  await arrived.waitFor({ timeout: WAIT_MS });
  assert.match(await arrived.innerText(), /flash/i);
  await russia.page.locator('.msg.mine', { hasText: text }).locator('text=read by coalition').waitFor({ timeout: 20000 });
  await shot(russia.page, 'two-parties-04-russia-sent-message');
  await shot(coalition.page, 'two-parties-04-coalition-received-message');
});

test('live tracks appear on their owner\'s map with flight level and callsign, not on the other\'s', async () => {
  await reportTracks(demo, 'coalition', coalitionTracks());
  const label = coalition.page.locator('.leaflet-tooltip.track-label', { hasText: 'VIPER 11' });
  await label.waitFor({ timeout: WAIT_MS });
  assert.match(await label.innerText(), /^FL249 VIPER 11$/);
  // Under the default release (tracks: conflicts_only) russia gets no position of them.
  await russia.page.waitForTimeout(1500);
  assert.equal(await russia.page.locator('.leaflet-tooltip.track-label').count(), 0);
  await shot(coalition.page, 'two-parties-05-coalition-tracks');
});

test('the time slider and the altitude filter show only the plans within them', async () => {
  const page = coalition.page;
  const label = (callsign) => page.locator('.leaflet-tooltip.op-label', { hasText: callsign });
  const { operations } = await api(demo, 'coalition', 'GET', '/v1/operations');
  const start = Date.parse(operations.find((o) => o.id === 'cap-latakia-north').volumes[0].time_start);
  // 90 minutes after the scenario's start: VIPER 11 (0-3 h) and HAWG 31 (1-2 h) fly, COBRA 05 (2-5 h) not yet.
  await page.check('#time-on');
  await page.locator('#time').evaluate((slider, t) => {
    slider.value = String(t / 1000);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, start + 90 * 60 * 1000);
  assert.match(await page.locator('#time-label').innerText(), /Z \(in /);
  // (Leaflet fades a removed label out over 200 ms: wait for it rather than count at once.)
  const shown = (callsign) => label(callsign).waitFor({ state: 'attached', timeout: WAIT_MS });
  const hidden = (callsign) => label(callsign).waitFor({ state: 'detached', timeout: WAIT_MS });
  await hidden('COBRA 05');
  await shown('VIPER 11');
  await shown('HAWG 31');
  await shot(page, 'two-parties-06-coalition-time-filter');
  await page.uncheck('#time-on');
  await shown('COBRA 05');
  // FL250 and above: HAWG 31 (FL164-FL230) goes, VIPER 11 (FL197-FL295) stays.
  await page.fill('#alt-lo', '250');
  await hidden('HAWG 31');
  await shown('VIPER 11');
  await page.fill('#alt-lo', '0');
  await shown('HAWG 31');
});

test("neither page shows or receives the other's unreleased data", async () => {
  for (const [name, party] of [['coalition', coalition], ['russia', russia]]) {
    await Promise.all(party.record.pending);
    const { words, coordinates } = hiddenMarkers(name, demo.conflicts);
    assert.ok(words.length > 5 && coordinates.length > 3, `${name}: markers from the scenario`);
    const dom = await party.page.evaluate(() => document.documentElement.outerHTML);
    const stream = await streamText(demo, name);
    // Zones and protected sites are published for every party to read; their geometry is
    // nobody's secret (the convoy's route ends in Homs, where a hidden operation is centred).
    const apiBodies = party.record.bodies.filter((b) => {
      const pathname = new URL(b.url).pathname;
      return pathname.startsWith('/v1/') && !pathname.startsWith('/v1/zones') && !pathname.startsWith('/v1/sites');
    });
    assert.ok(apiBodies.some((b) => b.url.includes('/v1/operations')), `${name}: operations were read`);
    // (Before the channel is frozen below: a frozen channel withholds non-safety alerts.)
    assert.ok(stream.includes(conflict.alert), `${name}: the stream carried the conflict`);
    for (const marker of words) {
      assert.ok(!dom.includes(marker), `${name}'s page shows hidden "${marker}"`);
      for (const body of party.record.bodies) {
        assert.ok(!body.text.includes(marker), `${name} received hidden "${marker}" from ${body.url}`);
      }
      assert.ok(!stream.includes(marker), `${name}'s stream carried hidden "${marker}"`);
    }
    for (const marker of coordinates) {
      for (const body of apiBodies) {
        assert.ok(!body.text.includes(marker), `${name} received a hidden volume's vertex ${marker} from ${body.url}`);
      }
      assert.ok(!stream.includes(marker), `${name}'s stream carried a hidden volume's vertex ${marker}`);
    }
    // And the page does show its own: its callsigns are in the map's data.
    // The same search finds the viewer's own data (its ids and its vertices are what the other
    // party must not see), so an empty result above is not a blind search.
    const own = hiddenMarkers(name === 'coalition' ? 'russia' : 'coalition', demo.conflicts);
    assert.ok(own.words.some((marker) => dom.includes(marker)), `${name}: its page shows its own ids`);
    assert.ok(own.coordinates.some((marker) => apiBodies.some((b) => b.text.includes(marker))), `${name}: its own vertices were found`);
  }
});

test('a suspended agreement freezes the channel: sending is disabled with the reason', async () => {
  const params = {
    separation_horizontal_m: 9260, separation_vertical_m: 304.8, time_buffer_s: 300, lookahead_s: 300,
    release_operations: 'conflicts_only', release_tracks: 'conflicts_only',
  };
  await api(demo, 'coalition', 'POST', '/v1/agreements', { id: 'e2e-latakia', parties: ['coalition', 'russia'], params });
  await api(demo, 'russia', 'POST', '/v1/agreements/e2e-latakia/accept');
  await api(demo, 'coalition', 'POST', '/v1/agreements/e2e-latakia/suspend');
  // The pages learn of agreements by polling (at most 15 s).
  await russia.page.locator('#send-status.frozen', { hasText: 'Channel frozen' }).waitFor({ timeout: 20000 });
  assert.ok(await russia.page.locator('#send-button').isDisabled());
  assert.ok(await russia.page.locator('#send-text').isDisabled());
  assert.match(await russia.page.locator('#threads').innerText(), /frozen/);
  await shot(russia.page, 'two-parties-07-russia-channel-frozen');
});

test('with tracks released, a tactical conflict is a pair line with the time to loss of separation', async () => {
  const params = {
    separation_horizontal_m: 9260, separation_vertical_m: 304.8, time_buffer_s: 300, lookahead_s: 300,
    release_operations: 'conflicts_only', release_tracks: 'full',
  };
  await api(demo, 'coalition', 'POST', '/v1/agreements', { id: 'e2e-tracks', parties: ['coalition', 'unhas'], params });
  await api(demo, 'unhas', 'POST', '/v1/agreements/e2e-tracks/accept');
  const time = new Date().toISOString();
  await reportTracks(demo, 'coalition', coalitionTracks());
  await reportTracks(demo, 'unhas', [{ track_id: 'e2e-un301', callsign: 'UN 301', time, lat_deg: 35.80, lon_deg: 36.02,
    altitude_m: 7600, ground_speed_mps: 150, track_deg: 260, vertical_rate_mps: 0 }]);
  const label = coalition.page.locator('.leaflet-tooltip.pair-label', { hasText: 'unhas' });
  await label.first().waitFor({ timeout: WAIT_MS });
  assert.match(await label.first().innerText(), /(WARNING|CAUTION|ADVISORY) · LoS (now|in \d+ s) · unhas/);
  await shot(coalition.page, 'two-parties-08-coalition-pair-line');
  // Russia, whose tracks agreement (none) releases nothing, draws no pair line with unhas.
  assert.equal(await russia.page.locator('.leaflet-tooltip.pair-label').count(), 0);
});

test('no page requests anything from another origin', async () => {
  const origin = new URL(demo.url).origin;
  for (const [name, party] of [['coalition', coalition], ['russia', russia]]) {
    assert.ok(party.record.requests.length > 5, `${name}: requests were recorded`);
    const foreign = party.record.requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    assert.deepEqual(foreign, [], `${name}: requests to other origins`);
    assert.deepEqual(party.record.errors, [], `${name}: page errors`);
  }
});
