// The inbox shows the present (issue 14, point 7): an alert that becomes resolved leaves the
// open list for the folded "Recent" list, greyed and written in the past tense (no countdown,
// no "NOW", no Acknowledge, nobody awaited), the open count drops, and the map stops drawing it
// as current — all without a page reload, from the stream's alert events. Once for a plan
// conflict (resolved by cancelling the operation), once for a tactical conflict (resolved by the
// tracks separating). The tests run in order, on one server of their own.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, api } from '../lib/demo.mjs';
import { clearArtifacts, launch, partyPage, signIn, shot } from '../lib/browser.mjs';
import { reportTracks } from '../lib/tracks.mjs';

const WAIT_MS = 10000;
/** The map's CSS class for an alert's layers and labels (web/map.js, alertClass). */
const alertClass = (id) => `alert-${id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

let demo;
let browser;
let coalition;
let russia;
let conflict;
let pageLoads = 0;

before(async () => {
  clearArtifacts('lifecycle-');
  demo = await startDemo();
  conflict = demo.conflicts.find((c) => c.operation === 'coalition/cap-latakia-north' && c.other === 'russia/patrol-latakia');
  assert.ok(conflict, `the demo prints the VIPER/SOKOL conflict:\n${demo.output}`);
  browser = await launch();
  coalition = await partyPage(browser);
  russia = await partyPage(browser);
  // A reload would refetch the page itself: counted, so that "without a reload" is checked.
  for (const party of [coalition, russia]) {
    party.page.on('load', () => { pageLoads += 1; });
  }
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const openCard = (party, id) => party.page.locator(`#alerts .alert[data-id="${id}"]`);
const recentCard = (party, id) => party.page.locator(`#recent-alerts .alert[data-id="${id}"]`);

/** Waits until nothing matches `selector` (Leaflet redraws labels, and fades a removed one out
 *  over 200 ms, so one label may briefly be two elements). */
async function gone(page, selector) {
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 0, selector, { timeout: WAIT_MS });
  // And it stays gone across the next redraws (tracks are polled every second, plans refetched
  // on every alert event): watched for 2.5 s.
  const seen = await page.evaluate((sel) => new Promise((done) => {
    let max = 0;
    const timer = setInterval(() => { max = Math.max(max, document.querySelectorAll(sel).length); }, 50);
    setTimeout(() => { clearInterval(timer); done(max); }, 2500);
  }), selector);
  assert.equal(seen, 0, `${selector} drawn again after it went`);
}

/** The "(N open)" count in the inbox's heading. */
async function shownOpenCount(party) {
  const text = await party.page.locator('#alert-count').innerText();
  const match = text.match(/^\((\d+) open\)$/);
  assert.ok(match, `the open count reads "(N open)": ${text}`);
  return Number(match[1]);
}

/** Waits until the page's open count, its open list and the API's open alerts agree. */
async function settledOpenCount(party, name) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { alerts } = await api(demo, name, 'GET', '/v1/alerts?state=open');
    const shown = await shownOpenCount(party);
    const listed = await party.page.locator('#alerts .alert').count();
    if (shown === alerts.length && listed === alerts.length) return shown;
    if (Date.now() > deadline) assert.fail(`${name}: count ${shown}, listed ${listed}, API ${alerts.length} open`);
    await party.page.waitForTimeout(250);
  }
}

/** What a resolved card must not say: it is history, not a present danger. */
async function assertPastTense(card, label) {
  const text = await card.innerText();
  assert.doesNotMatch(text, /\bnow\b/i, `${label}: no "now": ${text}`);
  assert.doesNotMatch(text, /\bawaiting\b/i, `${label}: nobody awaited: ${text}`);
  assert.doesNotMatch(text, /starts in|ends in|in progress|\bin \d+(h|m|s)\b/i, `${label}: no countdown: ${text}`);
  assert.doesNotMatch(text, /Acknowledge$/m, `${label}: no Acknowledge: ${text}`);
  assert.match(text, /\bresolved \d{2}:\d{2}Z/, `${label}: says when it was resolved: ${text}`);
  assert.equal(await card.locator('.countdown, [data-at], [data-window], [data-rel]').count(), 0, `${label}: no live time`);
  assert.equal(await card.locator('button').count(), 0, `${label}: no button`);
  // Greyed: the stripe is grey, not the severity's colour, and the text is muted.
  const style = await card.evaluate((el) => {
    const s = getComputedStyle(el);
    return { stripe: s.borderLeftColor, color: s.color };
  });
  assert.equal(style.stripe, 'rgb(184, 188, 194)', `${label}: grey stripe`);
  assert.equal(style.color, 'rgb(91, 100, 112)', `${label}: muted text`);
  return text;
}

test('a plan conflict is open in the inbox and drawn on the map', async () => {
  await signIn(coalition.page, demo.url, demo.tokens.coalition);
  await signIn(russia.page, demo.url, demo.tokens.russia);
  for (const [party, name] of [[coalition, 'coalition'], [russia, 'russia']]) {
    const card = openCard(party, conflict.alert);
    await card.waitFor({ timeout: WAIT_MS });
    const text = await card.innerText();
    assert.match(text, /advisory/i, `${name}: severity written`);
    assert.match(text, /starts in|in progress/, `${name}: the open card counts down: ${text}`);
    assert.equal(await card.locator('button.ack').count(), 1, `${name}: Acknowledge offered`);
    assert.equal(await recentCard(party, conflict.alert).count(), 0, `${name}: not under Recent`);
    // The Recent list is folded by default.
    assert.equal(await party.page.locator('#recent').evaluate((d) => d.open), false, `${name}: Recent folded`);
    assert.match(await party.page.locator('#recent-summary').innerText(), /^Recent \(0 resolved\)$/);
    // Drawn as current: the overlap region and its severity label.
    const cls = alertClass(conflict.alert);
    await party.page.locator(`.leaflet-tooltip.${cls}`, { hasText: 'ADVISORY' }).first().waitFor({ timeout: WAIT_MS });
    assert.ok(await party.page.locator(`path.conflict-region.${cls}`).count() >= 1, `${name}: region drawn`);
    await settledOpenCount(party, name);
  }
  await shot(coalition.page, 'lifecycle-01-coalition-open');
});

test('cancelling the operation resolves the conflict: it moves to Recent, in the past tense, and leaves the map', async () => {
  const before = { coalition: await settledOpenCount(coalition, 'coalition'), russia: await settledOpenCount(russia, 'russia') };
  const loadsBefore = pageLoads;
  // Another of coalition's conflicts, still open afterwards: the map must keep drawing it (so an
  // empty map below is not a blind check).
  const other = demo.conflicts.find((c) => c !== conflict && (c.operation.startsWith('coalition/') || c.other.startsWith('coalition/'))
    && c.operation !== 'coalition/cap-latakia-north' && c.other !== 'coalition/cap-latakia-north');
  assert.ok(other, 'coalition has another conflict in the demo');

  await api(demo, 'coalition', 'POST', '/v1/operations/cap-latakia-north/cancel');
  const { alerts } = await api(demo, 'coalition', 'GET', '/v1/alerts');
  assert.equal(alerts.find((a) => a.id === conflict.alert)?.state, 'resolved', 'the API resolved it');

  for (const [party, name] of [[coalition, 'coalition'], [russia, 'russia']]) {
    await recentCard(party, conflict.alert).waitFor({ state: 'attached', timeout: WAIT_MS });
    await openCard(party, conflict.alert).waitFor({ state: 'detached', timeout: WAIT_MS });
    const after = await settledOpenCount(party, name);
    assert.ok(after < before[name], `${name}: the open count dropped (${before[name]} -> ${after})`);
    // Folded by default: the resolved card is there but not shown until Recent is opened.
    assert.equal(await recentCard(party, conflict.alert).isVisible(), false, `${name}: Recent stays folded`);
    const summary = await party.page.locator('#recent-summary').innerText();
    const resolvedCount = Number(summary.match(/^Recent \((\d+) resolved\)$/)?.[1]);
    assert.ok(resolvedCount >= 1, `${name}: the summary counts the resolved: ${summary}`);
    assert.equal(await party.page.locator('#recent-alerts .alert').count(), resolvedCount);
    await party.page.locator('#recent-summary').click();
    const card = recentCard(party, conflict.alert);
    await card.waitFor({ state: 'visible', timeout: WAIT_MS });
    const text = await assertPastTense(card, name);
    const own = name === 'coalition' ? 'cap-latakia-north' : 'patrol-latakia';
    const them = name === 'coalition' ? 'russia' : 'coalition';
    // The window names its day when it is not today (the demo's windows follow the clock, so
    // near midnight they fall tomorrow): "7 Dec 01:00Z–7 Dec 03:00Z".
    const at = '(?:\\d{1,2} [A-Z][a-z]{2} )?\\d{2}:\\d{2}Z';
    assert.match(text, new RegExp(`your ${own} conflicted with ${them} ${at}–${at}`), `${name}: past tense: ${text}`);
    // No longer drawn as current on the map.
    const cls = alertClass(conflict.alert);
    await gone(party.page, `.leaflet-tooltip.${cls}`);
    assert.equal(await party.page.locator(`path.conflict-region.${cls}`).count(), 0, `${name}: region not drawn`);
  }
  // Coalition's other, open conflict is still drawn.
  assert.ok(await coalition.page.locator(`path.conflict-region.${alertClass(other.alert)}`).count() >= 1, 'the open conflict stays drawn');
  assert.equal(pageLoads, loadsBefore, 'no page was reloaded');
  await shot(coalition.page, 'lifecycle-02-coalition-resolved-in-recent');
  await shot(russia.page, 'lifecycle-02-russia-resolved-in-recent');
});

test('a resolved alert selected with the keyboard zooms the map to where it was', async () => {
  const page = coalition.page;
  const view = () => page.locator('#map').getAttribute('data-view');
  await page.locator('.leaflet-control-zoom-out').click();
  await page.locator('.leaflet-control-zoom-out').click();
  await page.waitForTimeout(600);
  const zoomedOut = await view();
  await recentCard(coalition, conflict.alert).focus();
  await page.keyboard.press('Enter');
  // The map flies there: wait for the view to settle off Latakia (slower on a loaded machine).
  await page.waitForFunction(() => {
    const [lat, lng] = document.querySelector('#map').dataset.view.split(',').map(Number);
    return lat > 35.3 && lat < 36.2 && lng > 35.4 && lng < 36.6;
  }, null, { timeout: WAIT_MS }).catch(() => {});
  await page.waitForTimeout(300);
  const [lat, lng, zoom] = (await view()).split(',').map(Number);
  assert.ok(zoom > Number(zoomedOut.split(',')[2]), 'zoomed in');
  // The VIPER/SOKOL overlap lies off Latakia, around 35.6-35.9 N, 35.7-36.4 E.
  assert.ok(lat > 35.3 && lat < 36.2 && lng > 35.4 && lng < 36.6, `centred on the past overlap (${lat}, ${lng})`);
  assert.ok(await recentCard(coalition, conflict.alert).evaluate((el) => el.classList.contains('selected')));
});

test('a tactical conflict that clears moves from the open list to Recent and its pair line goes', async () => {
  const params = {
    separation_horizontal_m: 9260, separation_vertical_m: 304.8, time_buffer_s: 300, lookahead_s: 300,
    release_operations: 'conflicts_only', release_tracks: 'full',
  };
  await api(demo, 'coalition', 'POST', '/v1/agreements', { id: 'e2e-lifecycle', parties: ['coalition', 'unhas'], params });
  await api(demo, 'unhas', 'POST', '/v1/agreements/e2e-lifecycle/accept');
  // Two aircraft head-on at the same level 6 km apart (no operation: no conformance alert).
  const viper = (time) => ({ track_id: 'e2e-lc-viper', callsign: 'VIPER 21', time, lat_deg: 35.78, lon_deg: 35.95,
    altitude_m: 7600, ground_speed_mps: 220, track_deg: 80, vertical_rate_mps: 0 });
  const un = (time) => ({ track_id: 'e2e-lc-un', callsign: 'UN 302', time, lat_deg: 35.80, lon_deg: 36.02,
    altitude_m: 7600, ground_speed_mps: 150, track_deg: 260, vertical_rate_mps: 0 });
  const countBefore = await settledOpenCount(coalition, 'coalition');
  const now = new Date().toISOString();
  await reportTracks(demo, 'coalition', [viper(now)]);
  await reportTracks(demo, 'unhas', [un(now)]);

  let alert;
  const deadline = Date.now() + WAIT_MS;
  while (!alert) {
    const { alerts } = await api(demo, 'coalition', 'GET', '/v1/alerts?state=open');
    alert = alerts.find((a) => a.kind === 'tactical_conflict' && a.tactical?.own_track === 'e2e-lc-viper');
    if (!alert) {
      assert.ok(Date.now() < deadline, 'the tactical pass raised the conflict');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const cls = alertClass(alert.id);
  const card = openCard(coalition, alert.id);
  await card.waitFor({ timeout: WAIT_MS });
  assert.match(await card.innerText(), /LOSS OF SEPARATION NOW/, 'open: a present danger');
  await coalition.page.locator(`.leaflet-tooltip.pair-label.${cls}`).first().waitFor({ timeout: WAIT_MS });
  const countOpen = await settledOpenCount(coalition, 'coalition');
  assert.equal(countOpen, countBefore + 1);
  await shot(coalition.page, 'lifecycle-03-coalition-tactical-open');

  // UN 302 climbs well clear, turns away and reports from 60 km further east.
  const later = new Date().toISOString();
  await reportTracks(demo, 'coalition', [viper(later)]);
  await reportTracks(demo, 'unhas', [{ ...un(later), lat_deg: 35.80, lon_deg: 36.70, altitude_m: 11000, track_deg: 90 }]);
  await openCard(coalition, alert.id).waitFor({ state: 'detached', timeout: WAIT_MS });
  const resolved = recentCard(coalition, alert.id);
  await resolved.waitFor({ state: 'visible', timeout: WAIT_MS }); // Recent was opened above
  const text = await assertPastTense(resolved, 'tactical');
  assert.match(text, /your track e2e-lc-viper: (loss of separation was predicted|lost separation) with unhas's e2e-lc-un \(closest \d+\.\d km\)/, text);
  // The most recently resolved comes first.
  assert.equal(await coalition.page.locator('#recent-alerts .alert').first().getAttribute('data-id'), alert.id);
  assert.equal(await settledOpenCount(coalition, 'coalition'), countOpen - 1, 'the open count dropped');
  await gone(coalition.page, `.leaflet-tooltip.${cls}`);
  // The tracks themselves are still drawn: only the alert's pair line went.
  await coalition.page.locator('.leaflet-tooltip.track-label', { hasText: 'VIPER 21' }).first().waitFor({ timeout: WAIT_MS });
  await shot(coalition.page, 'lifecycle-04-coalition-tactical-resolved');
});

test('the alert fields the server is adding are shown when present: why resolved, re-notified, overdue', async () => {
  // The server will add `resolved_reason`, `renotifications` and `overdue` to each alert view;
  // until it does, this page's /v1/alerts responses get them added on the way (the tests
  // above ran without them).
  const { alerts } = await api(demo, 'coalition', 'GET', '/v1/alerts?state=open');
  const target = alerts.find((a) => a.kind === 'strategic_conflict');
  assert.ok(target, 'coalition has an open plan conflict');
  const party = await partyPage(browser);
  await party.page.route((url) => url.pathname === '/v1/alerts', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const alert of body.alerts) {
      if (alert.state === 'resolved') alert.resolved_reason = 'past';
      else if (alert.id === target.id) Object.assign(alert, { severity: 'warning', escalations: 2, renotifications: 3, overdue: true });
    }
    await route.fulfill({ response, json: body });
  });
  await signIn(party.page, demo.url, demo.tokens.coalition);
  const card = openCard(party, target.id);
  await card.waitFor({ timeout: WAIT_MS });
  // Overdue: most severe, and first of its severity.
  assert.equal(await party.page.locator('#alerts .alert').first().getAttribute('data-id'), target.id);
  const text = await card.innerText();
  assert.match(text, /OVERDUE/, text);
  assert.match(text, /Overdue: still not acknowledged after the last reminder/, text);
  assert.match(text, /escalated 2× · re-notified 3×/, text);
  assert.equal(await card.locator('button.ack').count(), 1, 'still to be acknowledged');
  await party.page.locator('#recent-summary').click();
  const past = recentCard(party, conflict.alert);
  await past.waitFor({ state: 'visible', timeout: WAIT_MS });
  const pastText = await assertPastTense(past, 'reason');
  assert.match(pastText, /resolved \d{2}:\d{2}Z \(window passed\)/, pastText);
  await shot(party.page, 'lifecycle-05-coalition-overdue-and-window-passed');
  assert.deepEqual(party.record.errors, [], 'page errors');
  await party.context.close();
});

test('the pages raised no errors and made no request to another origin', async () => {
  const origin = new URL(demo.url).origin;
  for (const [name, party] of [['coalition', coalition], ['russia', russia]]) {
    assert.deepEqual(party.record.errors, [], `${name}: page errors`);
    const foreign = party.record.requests.filter((url) => !url.startsWith('data:') && new URL(url).origin !== origin);
    assert.deepEqual(foreign, [], `${name}: requests to other origins`);
  }
});
