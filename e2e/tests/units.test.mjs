// The map UI's pure functions, run in Node without a browser: the alert ids' short form, UTC
// windows, which hotline thread opens first, whom "message about this alert" writes to, the
// label boxes' overlap test, which places a view shows, and the 1:10m basemap's cutting to a
// region (against a point-in-polygon reference on random shapes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shortId, utcWindow } from '../../web/format.js';
import { latestThread } from '../../web/hotline.js';
import { messageTarget } from '../../web/inbox.js';
import { LABEL_PRIORITY, overlaps } from '../../web/labels.js';
import { minPopulation, placePriority, placesInView } from '../../web/places.js';
import { clipLines, clipPolygons, clipRing, thin } from '../../web/clip.js';
import { readFileSync } from 'node:fs';

test('an alert id is shortened to its prefix and four characters, longer only where it must be', () => {
  assert.equal(shortId('sc-bc6e2f7a7187586d'), 'sc-bc6e');
  assert.equal(shortId('sc-bc6e2f7a7187586d', ['sc-bc6e2f7a7187586d', 'sc-0000ffff']), 'sc-bc6e');
  // Another alert shares the first four: one more character, until they differ.
  assert.equal(shortId('sc-bc6e2f7a7187586d', ['sc-bc6e2f00', 'sc-bc6e3000']), 'sc-bc6e2f7');
  assert.equal(shortId('ze-53013bc208dc5f05'), 'ze-5301');
  // Too short to shorten, or no prefix: the id itself.
  assert.equal(shortId('sc-12'), 'sc-12');
  assert.equal(shortId('abcdef'), 'abcdef');
  // Every short form names exactly one of the ids it was made among.
  const ids = Array.from({ length: 500 }, (_, i) => `sc-${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}${i}`);
  const shorts = ids.map((id) => shortId(id, ids));
  for (const [i, short] of shorts.entries()) {
    assert.deepEqual(ids.filter((id) => id.startsWith(short)), [ids[i]], short);
  }
});

test('a UTC window is written once per day and names the day unless it is today', () => {
  const now = Date.parse('2026-12-06T09:00:00Z');
  assert.equal(utcWindow('2026-12-06T10:00:00Z', '2026-12-06T12:30:00Z', now), '10:00–12:30Z');
  assert.equal(utcWindow('2026-12-07T10:00:00Z', '2026-12-07T12:00:00Z', now), '7 Dec 10:00–12:00Z');
  assert.equal(utcWindow('2026-12-06T22:00:00Z', '2026-12-07T01:00:00Z', now), '22:00Z–7 Dec 01:00Z');
});

test('the hotline opens on the thread with the latest message, sent or received', () => {
  const m = (from, to, sentAt) => ({ id: sentAt, from, to, sent_at: sentAt, priority: 'routine', text: '' });
  const parties = ['iraq-caa', 'joint-cell', 'russia'];
  assert.equal(latestThread('coalition', parties, []), null);
  const messages = [
    m('russia', ['coalition'], '2026-12-06T10:00:00Z'),
    m('coalition', ['joint-cell'], '2026-12-06T10:05:00Z'),
    m('iraq-caa', ['coalition'], '2026-12-06T09:00:00Z'),
  ];
  assert.equal(latestThread('coalition', parties, messages), 'joint-cell');
  messages.push(m('russia', ['coalition'], '2026-12-06T10:06:00Z'));
  assert.equal(latestThread('coalition', parties, messages), 'russia');
  // A message between two others (never listed to a party, but) is no thread of ours.
  messages.push(m('russia', ['joint-cell'], '2026-12-06T11:00:00Z'));
  assert.equal(latestThread('coalition', parties, messages), 'russia');
});

test('"message about this alert" writes to the other side of it', () => {
  const conflict = { recipients: ['coalition', 'russia'], conflicts: [{ other_party: 'russia', own_operation: 'x' }] };
  assert.equal(messageTarget(conflict, 'coalition'), 'russia');
  const zoneEntry = { recipients: ['coalition', 'iraq-caa'], zone_entry: { party: 'coalition', zone_owner: 'iraq-caa' } };
  assert.equal(messageTarget(zoneEntry, 'coalition'), 'iraq-caa');
  assert.equal(messageTarget(zoneEntry, 'iraq-caa'), 'coalition');
  const site = { recipients: ['russia', 'unhas'], site: { party: 'russia', site_owner: 'unhas' } };
  assert.equal(messageTarget(site, 'russia'), 'unhas');
  assert.equal(messageTarget(site, 'unhas'), 'russia');
  assert.equal(messageTarget({ recipients: ['coalition'] }, 'coalition'), null);
  assert.equal(messageTarget({ recipients: ['coalition', 'joint-cell'] }, 'coalition'), 'joint-cell');
});

test('label boxes overlap when they come within two pixels', () => {
  const box = (left, top, width, height) => ({ left, top, right: left + width, bottom: top + height });
  assert.ok(overlaps(box(0, 0, 10, 10), box(5, 5, 10, 10)));
  assert.ok(overlaps(box(0, 0, 10, 10), box(11, 0, 10, 10)), 'within the margin');
  assert.ok(!overlaps(box(0, 0, 10, 10), box(13, 0, 10, 10)));
  assert.ok(!overlaps(box(0, 0, 10, 10), box(0, 13, 10, 10)));
});

test('places: big cities when zoomed out, every town by zoom 11, only those in view, largest first', () => {
  assert.equal(minPopulation(11), 0);
  assert.equal(minPopulation(12.5), 0);
  assert.ok(minPopulation(6) >= 200000);
  for (let z = 0; z < 11; z++) assert.ok(minPopulation(z) >= minPopulation(z + 1), `zoom ${z}`);
  const places = [['Big', 36.0, 35.0, 2000000], ['Mid', 36.1, 35.1, 60000], ['Far', 10, 50, 50000], ['Town', 36.2, 35.2, 1200], ['Seat', 36.3, 35.3, 0]];
  const names = (shown) => shown.map(([i]) => places[i][0]);
  const box = [34, 35, 36, 37];
  assert.deepEqual(names(placesInView(places, box, 11)), ['Big', 'Mid', 'Town', 'Seat']);
  assert.deepEqual(names(placesInView(places, box, 8)), ['Big', 'Mid']);
  assert.deepEqual(names(placesInView(places, box, 4)), ['Big']);
  assert.deepEqual(names(placesInView(places, box, 11, 2)), ['Big', 'Mid'], 'at most max, the largest');
  // Across the antimeridian: drawn at the longitude inside the view.
  const pacific = [['Suva', 178.44, -18.14, 77000], ['Apia', -171.76, -13.83, 40000]];
  assert.deepEqual(placesInView(pacific, [-25, 170, -10, 190], 9), [[0, 178.44], [1, 188.24]]);
  // Priorities: under every label of the picture; a city above a village.
  assert.ok(placePriority(10000000) < LABEL_PRIORITY.zone);
  assert.ok(placePriority(500000) > placePriority(2000));
  assert.equal(placePriority(0), LABEL_PRIORITY.place);
});

test('the vendored places are small, sorted and name the towns of the Syrian coast', () => {
  const data = JSON.parse(readFileSync(new URL('../../web/vendor/places/places.json', import.meta.url), 'utf8'));
  assert.match(data.source, /GeoNames/);
  assert.ok(data.places.length > 20000);
  for (let i = 1; i < data.places.length; i++) assert.ok(data.places[i - 1][3] >= data.places[i][3], `sorted at ${i}`);
  const near = (name, lon, lat) => data.places.some(([n, x, y]) => n === name && Math.abs(x - lon) < 0.05 && Math.abs(y - lat) < 0.05);
  assert.ok(near('Jablah', 35.93, 35.36) && near('Bāniyās', 35.95, 35.18) && near('Latakia', 35.79, 35.53));
});

/** Random numbers from a seed (mulberry32): the shapes are the same on every run. */
function random(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6D2B79F5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Even-odd point in polygon (rings), the obviously-correct reference. */
function inside([x, y], rings) {
  let odd = false;
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) odd = !odd;
    }
  }
  return odd;
}

test('a polygon cut to a box covers the same points inside the box as the whole (random shapes)', () => {
  const next = random(18);
  for (let round = 0; round < 200; round++) {
    // A star-shaped ring around a random centre (often concave, crossing the box's sides).
    const cx = next() * 10;
    const cy = next() * 10;
    const count = 3 + Math.floor(next() * 40);
    const ring = Array.from({ length: count }, (_, k) => {
      const angle = (2 * Math.PI * k) / count;
      const r = 0.5 + next() * 6;
      return [cx + r * Math.cos(angle), cy + r * Math.sin(angle)];
    });
    ring.push(ring[0]);
    const w = next() * 8;
    const s = next() * 8;
    const box = [w, s, w + 0.5 + next() * 5, s + 0.5 + next() * 5];
    const cut = clipPolygons({ type: 'Polygon', coordinates: [ring] }, box, 0);
    for (const polygon of cut) for (const r of polygon) for (const [x, y] of r) {
      assert.ok(x >= box[0] - 1e-9 && x <= box[2] + 1e-9 && y >= box[1] - 1e-9 && y <= box[3] + 1e-9, 'inside the box');
    }
    for (let k = 0; k < 200; k++) {
      const p = [box[0] + next() * (box[2] - box[0]), box[1] + next() * (box[3] - box[1])];
      const expected = inside(p, [ring]);
      const got = cut.some((polygon) => inside(p, polygon));
      assert.equal(got, expected, `round ${round}, point ${p}`);
    }
  }
  assert.deepEqual(clipRing([[20, 20], [21, 20], [21, 21], [20, 20]], [0, 0, 10, 10]), [], 'outside: nothing');
});

test('a line cut to a box keeps every segment that crosses it, and only those near it (random lines)', () => {
  const next = random(11);
  for (let round = 0; round < 200; round++) {
    const line = Array.from({ length: 2 + Math.floor(next() * 30) }, () => [next() * 20, next() * 20]);
    const box = [5, 5, 5 + next() * 8, 5 + next() * 8];
    const runs = clipLines({ type: 'LineString', coordinates: line }, box, 0);
    const kept = new Set(runs.flatMap((run) => run.slice(1).map((b, i) => `${run[i]}>${b}`)));
    for (let i = 1; i < line.length; i++) {
      const [a, b] = [line[i - 1], line[i]];
      // The segment sampled densely: does any sample fall inside the box?
      const crosses = Array.from({ length: 400 }, (_, t) => [a[0] + ((b[0] - a[0]) * t) / 399, a[1] + ((b[1] - a[1]) * t) / 399])
        .some(([x, y]) => x > box[0] && x < box[2] && y > box[1] && y < box[3]);
      if (crosses) assert.ok(kept.has(`${a}>${b}`), `round ${round}: segment ${i} crosses the box and is kept`);
      const far = Math.max(a[0], b[0]) < box[0] || Math.min(a[0], b[0]) > box[2] || Math.max(a[1], b[1]) < box[1] || Math.min(a[1], b[1]) > box[3];
      if (far) assert.ok(!kept.has(`${a}>${b}`), `round ${round}: segment ${i} is away from the box and dropped`);
    }
  }
});

test('thinning keeps the ends and drops only points closer than the tolerance to the last kept', () => {
  const line = [[0, 0], [0.1, 0], [0.2, 0.05], [1, 0], [1.05, 0.02], [2, 2]];
  assert.deepEqual(thin(line, 0.5), [[0, 0], [1, 0], [2, 2]]);
  assert.deepEqual(thin(line, 0), line);
  const kept = thin(line, 0.15);
  assert.deepEqual(kept[0], line[0]);
  assert.deepEqual(kept[kept.length - 1], line[line.length - 1]);
});
