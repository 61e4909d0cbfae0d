// The demo at sea (issue 17 point 4), with its simulated traffic flying: two warships of
// different parties on converging courses raise a sea CPA alert, shown in both inboxes and on
// the map as ship symbols, heading lines and the closest point of approach; a chartered cargo
// ship heading into the naval exercise area off Tartous raises a zone alert to its owner. A
// ship's popup gives its name, callsign and length, where the release allows.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, api } from '../lib/demo.mjs';
import { clearArtifacts, launch, partyPage, signIn, shot } from '../lib/browser.mjs';

const WAIT_MS = 15000;
let demo;
let browser;
let coalition;
let unhas;

before(async () => {
  clearArtifacts('sea-');
  demo = await startDemo({ traffic: true });
  // Coalition and Russia release their tracks to each other in full, so each sees the other's
  // warship and the CPA line joins the two.
  const params = {
    separation_horizontal_m: 9260, separation_vertical_m: 304.8, time_buffer_s: 300, lookahead_s: 300,
    release_operations: 'conflicts_only', release_tracks: 'full',
  };
  await api(demo, 'coalition', 'POST', '/v1/agreements', { id: 'east-med-tracks', parties: ['coalition', 'russia'], params });
  await api(demo, 'russia', 'POST', '/v1/agreements/east-med-tracks/accept');
  browser = await launch();
  coalition = await partyPage(browser);
  unhas = await partyPage(browser);
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** The open alert of `party` that `predicate` picks, once the traffic has raised it. */
async function waitForAlert(party, predicate) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const { alerts } = await api(demo, party, 'GET', '/v1/alerts');
    const found = alerts.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such alert for ${party}: ${JSON.stringify(alerts.map((a) => a.kind))}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

test('two converging warships raise a sea CPA alert, drawn with ship symbols and the CPA line', async () => {
  const alert = await waitForAlert('coalition', (a) => a.tactical?.own_track === 'uss-ross');
  assert.equal(alert.tactical.own_domain, 'sea');
  assert.equal(alert.tactical.other_domain, 'sea');
  assert.equal(alert.tactical.other_party, 'russia');
  assert.ok(alert.tactical.d_cpa_m < 1852, `closer than 1 NM: ${alert.tactical.d_cpa_m}`);
  assert.ok(alert.tactical.t_cpa_s > 300, `beyond the air look-ahead: ${alert.tactical.t_cpa_s} s`);
  // Russia has the same alert, from its side.
  const theirs = await waitForAlert('russia', (a) => a.id === alert.id);
  assert.equal(theirs.tactical.own_track, 'smetlivy');

  const page = coalition.page;
  await signIn(page, demo.url, demo.tokens.coalition);
  const item = page.locator(`.alert[data-id="${alert.id}"]`);
  await item.waitFor({ timeout: WAIT_MS });
  const text = await item.innerText();
  assert.match(text, /your ship uss-ross/, text);
  assert.match(text, /sea minima/, text);
  // Ships are hulls, not dots: ours and Russia's released one.
  await page.locator('.ship-icon').nth(1).waitFor({ timeout: WAIT_MS });
  // The closest point of approach, labelled with its distance (the alert selected, so its
  // labels come first).
  await item.click();
  await page.waitForTimeout(1500);
  const cpa = page.locator(`.cpa-label.${`alert-${alert.id.replace(/[^A-Za-z0-9_-]/g, '_')}`}`).first();
  await cpa.waitFor({ timeout: WAIT_MS });
  assert.match(await cpa.innerText(), /CPA \d+\.\d km in \d+ min/);
  await shot(page, 'sea-01-coalition-cpa');
  // Our ship's popup: its static data.
  const ours = page.locator('.ship-icon', { has: page.locator('svg') });
  let popupText = '';
  for (let i = 0; i < await ours.count() && !popupText.includes('ROSS'); i += 1) {
    await ours.nth(i).click({ force: true });
    const popup = page.locator('.ship-popup');
    await popup.waitFor({ timeout: WAIT_MS });
    popupText = await popup.innerText();
  }
  assert.match(popupText, /ROSS/, popupText);
  assert.match(popupText, /callsign\s+NROS/, popupText);
  assert.match(popupText, /length\s+154 m/, popupText);
  await shot(page, 'sea-02-coalition-ship-popup');
});

test('a cargo ship heading into the naval exercise area raises a zone alert to its owner', async () => {
  const alert = await waitForAlert('unhas', (a) => a.track_zone_entry?.track_id === 'mv-aid-latakia');
  assert.equal(alert.track_zone_entry.zone, 'tartus-naval-area');
  const page = unhas.page;
  await signIn(page, demo.url, demo.tokens.unhas);
  const item = page.locator(`.alert[data-id="${alert.id}"]`);
  await item.waitFor({ timeout: WAIT_MS });
  const text = await item.innerText();
  assert.match(text, /mv-aid-latakia/, text);
  assert.match(text, /Naval area off Tartus/, text);
  assert.match(text, /at sea/, text);
  await item.click();
  await page.waitForTimeout(800);
  assert.ok(await page.locator('.ship-icon').count() >= 1, 'its ship drawn as a ship');
  await shot(page, 'sea-03-unhas-zone');
});
