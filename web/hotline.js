// The hotline panel: one thread per party, priority and read receipts, a send box that is
// disabled (with the reason) while the agreement with that party is suspended.

import { esc, shortId, utc } from './format.js';

/** The parties this party can talk to: any seen in messages, alerts, conflicts or agreements. */
export function knownParties(me, { messages, alerts, agreements, operations }) {
  const parties = new Set();
  for (const m of messages) [m.from, ...m.to].forEach((p) => parties.add(p));
  for (const a of alerts) a.recipients.forEach((p) => parties.add(p));
  for (const a of agreements) a.parties.forEach((p) => parties.add(p));
  for (const o of operations?.others || []) parties.add(o.party);
  for (const o of operations?.released || []) parties.add(o.party);
  parties.delete(me);
  return [...parties].sort();
}

/** Why the channel to `party` is frozen (a suspended agreement in force), or null. */
export function frozenReason(me, party, agreements) {
  for (const a of agreements) {
    if (!a.in_force || !a.suspended || !a.parties.includes(me) || !a.parties.includes(party)) continue;
    const [by, at] = Array.isArray(a.suspended) ? a.suspended : [a.suspended.by ?? a.suspended.party, a.suspended.at];
    return `Channel frozen: agreement ${a.id} was suspended by ${by}${at ? ` at ${utc(at)}` : ''}. Only safety alerts flow until it is resumed.`;
  }
  return null;
}

export function threadMessages(me, party, messages) {
  return messages.filter((m) => (m.from === me && m.to.includes(party)) || (m.from === party && m.to.includes(me)));
}

/** The party whose thread has the latest message (sent or received), or null if none has any;
 *  the hotline opens on it. */
export function latestThread(me, parties, messages) {
  let best = null;
  let bestAt = -Infinity;
  for (const m of messages) {
    const party = m.from === me ? m.to.find((p) => parties.includes(p)) : m.to.includes(me) ? m.from : null;
    const at = Date.parse(m.sent_at);
    if (party && parties.includes(party) && at >= bestAt) {
      best = party;
      bestAt = at;
    }
  }
  return best;
}

export function unreadCount(me, party, messages) {
  return messages.filter((m) => m.from === party && m.to.includes(me) && !(me in (m.read_by || {}))).length;
}

export function renderThreads(container, me, parties, selected, messages, agreements, onSelect) {
  container.innerHTML = parties.map((p) => {
    const unread = unreadCount(me, p, messages);
    const frozen = frozenReason(me, p, agreements) ? '<span class="frozen">(frozen)</span>' : '';
    return `<button type="button" role="tab" data-party="${esc(p)}" aria-selected="${p === selected}">${esc(p)}${frozen}${unread ? `<span class="unread" aria-label="${unread} unread">${unread}</span>` : ''}</button>`;
  }).join('') || '<span class="hint">No other party yet.</span>';
  for (const button of container.querySelectorAll('button')) {
    button.addEventListener('click', () => onSelect(button.dataset.party));
  }
}

/** Renders the thread with `party`; a message about an alert carries a button naming it by its
 *  short id (`alertIds`: the alerts in view, for the short form), which selects it. */
export function renderMessages(list, me, party, messages, alertIds = []) {
  const now = Date.now();
  const thread = threadMessages(me, party, messages);
  list.innerHTML = thread.map((m) => {
    const mine = m.from === me;
    const receipts = mine
      ? m.to.map((p) => (m.read_by?.[p] ? `read by ${esc(p)} ${esc(utc(m.read_by[p], now))}` : `not yet read by ${esc(p)}`)).join(', ')
      : '';
    return `<li class="msg${mine ? ' mine' : ''}" data-id="${esc(m.id)}">
      <div class="meta"><span class="prio prio-${esc(m.priority)}">${esc(m.priority)}</span> · ${mine ? 'you' : esc(m.from)} · ${esc(utc(m.sent_at, now))} (<span data-rel="${esc(m.sent_at)}"></span>)</div>
      ${m.reference?.kind === 'alert' ? `<div class="meta"><button type="button" class="ref" data-alert="${esc(m.reference.id)}" title="Show alert ${esc(m.reference.id)}">re alert ${esc(shortId(m.reference.id, alertIds))}</button></div>` : ''}
      <div class="text">${esc(m.text)}</div>
      ${receipts ? `<div class="meta receipt">${receipts}</div>` : ''}
    </li>`;
  }).join('') || `<li class="hint">No messages with ${esc(party)} yet.</li>`;
  list.scrollTop = list.scrollHeight;
  return thread.filter((m) => m.from !== me && !(me in (m.read_by || {}))).map((m) => m.id);
}
