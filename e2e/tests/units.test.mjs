// The map UI's pure functions, run in Node without a browser: the alert ids' short form, UTC
// windows, which hotline thread opens first, whom "message about this alert" writes to, and
// the label boxes' overlap test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shortId, utcWindow } from '../../web/format.js';
import { latestThread } from '../../web/hotline.js';
import { messageTarget } from '../../web/inbox.js';
import { overlaps } from '../../web/labels.js';

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
