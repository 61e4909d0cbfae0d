// The alert inbox shows the present: open alerts only, most severe first, then soonest; live
// countdowns; acknowledge buttons that work from the keyboard; who has acknowledged and who is
// awaited. Resolved alerts fold away under "Recent", greyed and in the past tense (no countdown,
// no "now", no action). Selecting an alert asks the map to zoom to it. Each card names the
// alert by the short id its map label carries, and offers to message the other party about it.
// In compact mode (a toggle above the list) each open alert is one line.

import { SEVERITY_RANK, SEVERITY_SYMBOL, band, esc, fl, isResolved, km, shortId, siteKind, utc, utcWindow } from './format.js';

const KIND = {
  strategic_conflict: 'Plan conflict',
  tactical_conflict: 'Predicted loss of separation',
  nonconformance: 'Non-conformance',
  incident: 'Incident report',
  zone_entry: 'Zone entry',
  track_zone_entry: 'Track in zone',
  site_proximity: 'Protected site',
};
/** A resolved alert's headline names what it was, not a prediction still standing. */
const PAST_KIND = { tactical_conflict: 'Loss of separation', track_zone_entry: 'Track in zone' };
/** At most this many of an operation's volumes near a site are listed. */
const SITE_VOLUMES_LISTED = 3;

/** The Recent list keeps this many resolved alerts, the most recently resolved first. */
export const RECENT_MAX = 20;

/** When the alert's danger begins (ms): time to LoS for tactical, the overlap's start for plans. */
export function urgencyTime(alert) {
  if (alert.tactical) return Date.parse(alert.tactical.evaluated_at) + alert.tactical.t_los_s * 1000;
  const entry = alert.track_zone_entry || (alert.site?.evaluated_at ? alert.site : null);
  if (entry) return Date.parse(entry.evaluated_at) + (entry.t_entry_s || 0) * 1000;
  const near = (alert.site?.volumes || []).map((v) => Date.parse(v.from)).filter(Number.isFinite);
  if (near.length) return Math.min(...near);
  const starts = (alert.conflicts || []).map((c) => c.overlap && Date.parse(c.overlap.time_start)).filter(Number.isFinite);
  if (starts.length) return Math.min(...starts);
  return Date.parse(alert.raised_at);
}

/** When a resolved alert was resolved (ms); 0 if it does not say. */
function resolvedTime(alert) {
  const t = Date.parse(alert.resolved_at || alert.updated_at);
  return Number.isFinite(t) ? t : 0;
}

/** Open alerts: severity (most severe first); overdue ones first; then the soonest danger. */
export function sortAlerts(alerts) {
  return [...alerts].sort((a, b) =>
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]
    || Boolean(b.overdue) - Boolean(a.overdue)
    || urgencyTime(a) - urgencyTime(b)
    || a.id.localeCompare(b.id));
}

/** The inbox's two lists: `open` (sorted as above) and `recent`, the last RECENT_MAX resolved,
 *  most recently resolved first; `resolved` counts every resolved alert. */
export function splitAlerts(alerts) {
  const resolved = alerts.filter(isResolved)
    .sort((a, b) => resolvedTime(b) - resolvedTime(a) || a.id.localeCompare(b.id));
  return { open: sortAlerts(alerts.filter((a) => !isResolved(a))), recent: resolved.slice(0, RECENT_MAX), resolved: resolved.length };
}

/**
 * Renders the inbox: open alerts into `list`, resolved ones into `recentList` (inside the
 * folded "Recent" <details>, whose summary is `recentSummary`). Keeps keyboard focus on the
 * same alert across redraws; if it has just been resolved into the folded list, on the summary.
 * Returns { open, recent, resolved } counts.
 */
export function renderInbox({ list, recentList, recentSummary }, alerts, me, { selected, onSelect, onAcknowledge, onMessage }) {
  const active = document.activeElement;
  const focusedId = active?.closest?.('.alert')?.dataset.id;
  const focusedAck = active?.classList?.contains('ack');
  const { open, recent, resolved } = splitAlerts(alerts);
  const ids = alerts.map((a) => a.id);
  list.innerHTML = open.length
    ? open.map((alert) => openItem(alert, me, selected, ids)).join('')
    : `<li class="empty">No open alerts.${resolved ? ' Resolved ones are under Recent below.' : ''}</li>`;
  recentList.innerHTML = recent.length
    ? recent.map((alert) => resolvedItem(alert, me, selected, ids)).join('')
    : '<li class="empty">Nothing resolved yet.</li>';
  recentSummary.textContent = resolved > recent.length
    ? `Recent (last ${recent.length} of ${resolved} resolved)`
    : `Recent (${resolved} resolved)`;
  for (const [container, shown] of [[list, open], [recentList, recent]]) {
    for (const item of container.querySelectorAll('.alert')) {
      const alert = shown.find((a) => a.id === item.dataset.id);
      item.addEventListener('click', (event) => {
        if (event.target.closest('button')) return;
        onSelect(alert);
      });
      item.addEventListener('keydown', (event) => {
        if (event.target !== item) return;
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          onSelect(alert);
        } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          const next = event.key === 'ArrowDown' ? item.nextElementSibling : item.previousElementSibling;
          if (next?.classList.contains('alert')) next.focus();
        }
      });
      item.querySelector('button.ack')?.addEventListener('click', () => onAcknowledge(alert));
      item.querySelector('button.msg-about')?.addEventListener('click', () => onMessage?.(alert, messageTarget(alert, me)));
    }
  }
  if (focusedId) {
    const item = list.querySelector(`.alert[data-id="${CSS.escape(focusedId)}"]`)
      || recentList.querySelector(`.alert[data-id="${CSS.escape(focusedId)}"]`);
    const folded = item && recentList.contains(item) && !recentList.closest('details')?.open;
    if (folded) recentSummary.focus();
    else (focusedAck ? item?.querySelector('button.ack') || item : item)?.focus();
  }
  return { open: open.length, recent: recent.length, resolved };
}

/** "coalition 10:02Z (3m ago), you (russia) 10:05Z (…)": who acknowledged, and when. */
function acknowledgers(acked, me, now, live) {
  return acked.map(([p, t]) => `${p === me ? `you (${esc(p)})` : esc(p)} ${esc(utc(t, now))}${live ? ` (<span data-rel="${esc(t)}"></span>)` : ''}`).join(', ');
}

/**
 * Whom "message about this alert" writes to: the other side of it (the other party of a
 * conflict, the zone's or the site's owner, or the operation's or track's owner when the zone
 * or site is one's own); failing that, the first other recipient. Null if there is none.
 */
export function messageTarget(alert, me) {
  const others = alert.recipients.filter((p) => p !== me);
  const z = alert.zone_entry || alert.track_zone_entry;
  const preferred = [
    alert.conflicts?.[0]?.other_party,
    alert.tactical?.other_party,
    z && (z.zone_owner === me ? z.party : z.zone_owner),
    alert.site && (alert.site.site_owner === me ? alert.site.party : alert.site.site_owner),
  ].find((p) => p && others.includes(p));
  return preferred || others[0] || null;
}

/** The alert's id on a card: its short form (as on the map) in bold, the rest muted. */
function idText(alert, ids) {
  const short = shortId(alert.id, ids);
  return `<span class="id" title="alert ${esc(alert.id)}"><b>${esc(short)}</b><span class="rest">${esc(alert.id.slice(short.length))}</span></span>`;
}

/** When, in a few characters (the compact line): a window, a countdown, or a time. */
function whenText(alert, now) {
  const overlap = alert.conflicts?.find((c) => c.overlap)?.overlap;
  if (overlap) return esc(utcWindow(overlap.time_start, overlap.time_end, now));
  if (alert.tactical) return alert.tactical.los_now ? 'LoS NOW' : `LoS <span data-at="${urgencyTime(alert)}"></span>`;
  const entry = alert.zone_entry?.entries?.[0];
  if (entry) return esc(utcWindow(entry.time_start, entry.time_end, now));
  const t = urgencyTime(alert);
  return Number.isFinite(t) ? esc(utc(t, now)) : '';
}

/** An open alert: present tense, live countdowns, who is awaited, the Acknowledge button. */
function openItem(alert, me, selected, ids) {
  const now = Date.now();
  const symbol = SEVERITY_SYMBOL[alert.severity];
  const others = alert.recipients.filter((p) => p !== me);
  const what = title(alert, others);
  const acked = Object.entries(alert.acknowledged_by || {});
  const waiting = alert.recipients.filter((p) => !(p in (alert.acknowledged_by || {})));
  const ackText = [
    acked.length ? `Acknowledged by ${acknowledgers(acked, me, now, true)}` : 'Not acknowledged yet',
    waiting.length ? `awaiting ${waiting.map((p) => (p === me ? `you (${esc(p)})` : esc(p))).join(', ')}` : '',
  ].filter(Boolean).join('; ');
  const mine = alert.acknowledged_by?.[me];
  const action = mine
    ? `<span>you acknowledged at ${esc(utc(mine, now))}</span>`
    : `<button type="button" class="ack" aria-label="Acknowledge alert ${esc(alert.id)}"><span class="full">Acknowledge</span><span class="short">Ack</span></button>`;
  const history = [
    alert.escalations ? `escalated ${alert.escalations}×` : '',
    alert.renotifications > 0 ? `re-notified ${alert.renotifications}×` : '',
  ].filter(Boolean).map((text) => ` · ${text}`).join('');
  const overdue = alert.overdue
    ? '<span class="overdue" title="Still not acknowledged after the last re-notification: no further reminder will come">OVERDUE</span>'
    : '';
  const target = messageTarget(alert, me);
  const message = target
    ? ` <button type="button" class="msg-about" aria-label="Message ${esc(target)} about alert ${esc(alert.id)}" title="Message ${esc(target)} about this alert">Message ${esc(target)}</button>`
    : '';
  return `<li class="alert sev-${esc(alert.severity)}${alert.overdue ? ' is-overdue' : ''}${selected === alert.id ? ' selected' : ''}"
      tabindex="0" data-id="${esc(alert.id)}" aria-label="${esc(alert.severity)}${alert.overdue ? ', overdue,' : ''} ${esc(what)}">
    <div class="head"><span class="badge">${symbol} ${esc(alert.severity)}</span>${overdue}<span class="what" title="${esc(what)}">${esc(what)}</span><span class="when">${whenText(alert, now)}</span>${idText(alert, ids)}</div>
    ${details(alert, now, me)}
    ${alert.overdue ? '<div class="line overdue-note">Overdue: still not acknowledged after the last reminder; no more reminders will be sent.</div>' : ''}
    <div class="acks">${ackText}${history}</div>
    <div class="actions">${action}${message}</div>
  </li>`;
}

/** Why an alert was resolved, in words: `past` is the overlap window having passed. */
function resolvedReason(reason) {
  if (!reason) return '';
  return reason === 'past' ? 'window passed' : String(reason).replace(/_/g, ' ');
}

/** A resolved alert: history, written in the past tense; no countdown, no "now", no action. */
function resolvedItem(alert, me, selected, ids) {
  const now = Date.now();
  const others = alert.recipients.filter((p) => p !== me);
  const what = title(alert, others, PAST_KIND);
  const acked = Object.entries(alert.acknowledged_by || {});
  const reason = resolvedReason(alert.resolved_reason);
  const when = alert.resolved_at ? ` ${esc(utc(alert.resolved_at, now))}` : '';
  const history = [
    `was ${SEVERITY_SYMBOL[alert.severity]} ${esc(alert.severity)}`,
    alert.raised_at ? `raised ${esc(utc(alert.raised_at, now))}` : '',
    acked.length ? `acknowledged by ${acknowledgers(acked, me, now, false)}` : 'not acknowledged',
    alert.escalations ? `escalated ${alert.escalations}×` : '',
    alert.renotifications > 0 ? `re-notified ${alert.renotifications}×` : '',
  ].filter(Boolean).join(' · ');
  return `<li class="alert resolved sev-${esc(alert.severity)}${selected === alert.id ? ' selected' : ''}"
      tabindex="0" data-id="${esc(alert.id)}" aria-label="resolved: ${esc(what)}">
    <div class="head"><span class="badge past">✓ resolved</span><span class="what">${esc(what)}</span>${idText(alert, ids)}</div>
    ${pastDetails(alert, now, me)}
    <div class="line resolved-at">resolved${when}${reason ? ` (${esc(reason)})` : ''}</div>
    <div class="acks">${history}</div>
  </li>`;
}

/** The alert's headline: what it is about (a site or zone by name), or with whom. */
function title(alert, others, kinds = KIND) {
  const kind = kinds[alert.kind] || KIND[alert.kind] || alert.kind;
  if (alert.site) return `${kind}: ${alert.site.site_name} (${siteKind(alert.site.site_kind)})`;
  if (alert.track_zone_entry) return `${kind}: ${alert.track_zone_entry.zone_name}`;
  return `${kind}${others.length ? ` with ${others.join(', ')}` : ''}`;
}

/** A track's entry, live: "is inside now" or "enters in 1m 20s" (counting down). */
function entering(entry, inside, enters) {
  if (entry.inside_now) return inside;
  return `${enters} <span class="countdown" data-at="${Date.parse(entry.evaluated_at) + entry.t_entry_s * 1000}"></span>`;
}

/** Near a protected site: in full for the operation's or track's owner; the site's notifying
 *  party is told only that something comes within the buffer, and when. */
function siteDetails(s, me, now) {
  const lines = [];
  const whose = (what, id) => (s.party === me ? `your ${what} <b>${esc(id)}</b>` : `${what} <b>${esc(id)}</b> of ${esc(s.party)}`);
  if (s.subject === 'track') {
    const who = s.track_id ? whose('track', s.track_id) : 'a track';
    const when = entering(s, '<strong>is inside the buffer now</strong>', 'is predicted to enter');
    lines.push(`${who} ${when}${Number.isFinite(s.altitude_m) ? ` at ${fl(s.altitude_m)}` : ''}`);
  } else {
    const who = s.operation_id ? `${whose('operation', s.operation_id)}${s.mission_type ? ` (${esc(s.mission_type)})` : ''}` : 'an operation comes within the buffer';
    for (const v of s.volumes.slice(0, SITE_VOLUMES_LISTED)) {
      const which = Number.isInteger(v.volume) ? `, volume ${v.volume + 1}` : '';
      const how = Number.isFinite(v.distance_m) ? `, ${km(v.distance_m)}` : '';
      lines.push(`${who}${which}${how}${s.operation_id ? ',' : ''} ${esc(utc(v.from, now))}–${esc(utc(v.to, now))} · <span class="countdown" data-window="${esc(v.from)}|${esc(v.to)}"></span>`);
    }
    if (s.volumes.length > SITE_VOLUMES_LISTED) lines.push(`and ${s.volumes.length - SITE_VOLUMES_LISTED} more volumes`);
  }
  const owner = s.site_owner === me ? 'you' : esc(s.site_owner);
  lines.push(`buffer ${km(s.buffer_m)}, notified by ${owner}${s.description ? ` · ${esc(s.description)}` : ''}`);
  return lines.map((line) => `<div class="line">${line}</div>`).join('');
}

function details(alert, now, me) {
  if (alert.site) return siteDetails(alert.site, me, now);
  if (alert.track_zone_entry) {
    const z = alert.track_zone_entry;
    const who = z.party === me ? `your track <b>${esc(z.track_id)}</b>` : z.track_id ? `track <b>${esc(z.track_id)}</b> of ${esc(z.party)}` : `a track of ${esc(z.party)}`;
    const mission = z.mission_type ? ` (${esc(z.mission_type)})` : '';
    const broken = z.findings.filter((f) => f.broken).map((f) => f.description);
    const reported = z.findings.filter((f) => !f.broken).map((f) => f.description);
    const where = z.domain === 'sea' ? 'at sea' : `at ${fl(z.altitude_m)}`;
    return `<div class="line">${who}${mission} ${entering(z, '<strong>is inside now</strong>', 'enters')} ${where}</div>
      ${broken.length ? `<div class="line">breaks: ${broken.map(esc).join('; ')}</div>` : ''}
      ${reported.length ? `<div class="line">${reported.map(esc).join('; ')}</div>` : ''}
      <div class="line">zone of ${z.zone_owner === me ? 'you' : esc(z.zone_owner)}, ${esc(z.enforcement)}</div>`;
  }
  if (alert.tactical) {
    const t = alert.tactical;
    const at = Date.parse(t.evaluated_at);
    const los = t.los_now
      ? '<strong>LOSS OF SEPARATION NOW</strong>'
      : `loss of separation <span class="countdown" data-at="${at + t.t_los_s * 1000}"></span>`;
    const ships = t.own_domain === 'sea' && t.other_domain === 'sea';
    const own = t.own_domain === 'sea' ? 'ship' : 'track';
    const domain = ships ? '<div class="line">ships: judged with the sea minima</div>'
      : t.own_domain !== t.other_domain ? '<div class="line">an aircraft and a ship: judged with the air minima</div>' : '';
    const vertical = ships ? '' : `, ${Math.round(t.vertical_offset_now_m)} m vertical`;
    return `<div class="line">your ${own} ${esc(t.own_track)}: ${los}</div>
      <div class="line">closest ${km(t.d_cpa_m)} <span data-at="${at + t.t_cpa_s * 1000}"></span>; now ${km(t.horizontal_distance_now_m)}${vertical}</div>${domain}`;
  }
  if (alert.nonconformance) {
    const n = alert.nonconformance;
    const whose = n.track_id ? `your track ${esc(n.track_id)}${n.operation_id ? ` (operation ${esc(n.operation_id)})` : ''}` : `a track of ${esc(n.track_owner)}`;
    return `<div class="line">${whose} outside its plan${n.reason ? `: ${esc(n.reason)}` : ''} at ${Math.round(n.altitude_m)} m</div>`;
  }
  if (alert.zone_entry) {
    const z = alert.zone_entry;
    const who = z.operation_id ? `operation <b>${esc(z.operation_id)}</b>` : `an operation of ${esc(z.party)}`;
    const rules = [...new Set(z.entries.flatMap((e) => e.findings.map((f) => f.description)))];
    const first = z.entries[0];
    return `<div class="line">${who} enters zone <b>${esc(z.zone_name)}</b> (${esc(z.zone_owner)}, ${esc(z.enforcement)})</div>
      <div class="line">${rules.map(esc).join('; ')}</div>
      ${first ? `<div class="line">${band(first.altitude_lower_m, first.altitude_upper_m)} · ${esc(utc(first.time_start))}–${esc(utc(first.time_end))}</div>` : ''}`;
  }
  if (alert.incident) {
    return `<div class="line">${esc(alert.incident.narrative || alert.incident.category || '')}</div>`;
  }
  return (alert.conflicts || []).map((c) => {
    if (!c.overlap) return `<div class="line">your ${esc(c.own_operation)} conflicts with ${esc(c.other_party)} (overlap not released)</div>`;
    const o = c.overlap;
    const row = c.right_of_way ? ` · right of way: ${esc(c.right_of_way)}` : '';
    return `<div class="line">your <b>${esc(c.own_operation)}</b> · ${band(o.altitude_lower_m, o.altitude_upper_m)}${row}</div>
      <div class="line">${esc(utc(o.time_start, now))}–${esc(utc(o.time_end, now))} · <span class="countdown" data-window="${esc(o.time_start)}|${esc(o.time_end)}"></span></div>`;
  }).join('');
}

/** A resolved alert's facts, in the past tense: what it was about and when, no countdown. */
function pastDetails(alert, now, me) {
  const line = (text) => `<div class="line">${text}</div>`;
  if (alert.site) {
    const s = alert.site;
    const whose = (what, id) => (s.party === me ? `your ${what} <b>${esc(id)}</b>` : `${what} <b>${esc(id)}</b> of ${esc(s.party)}`);
    const lines = [];
    if (s.subject === 'track') {
      const who = s.track_id ? whose('track', s.track_id) : 'a track';
      lines.push(`${who} ${s.inside_now ? 'was inside the buffer' : 'was predicted to enter the buffer'}`);
    } else {
      const who = s.operation_id ? whose('operation', s.operation_id) : 'an operation';
      for (const v of (s.volumes || []).slice(0, SITE_VOLUMES_LISTED)) {
        const which = Number.isInteger(v.volume) ? `, volume ${v.volume + 1}` : '';
        lines.push(`${who}${which} came within the buffer ${esc(utc(v.from, now))}–${esc(utc(v.to, now))}`);
      }
    }
    lines.push(`buffer ${km(s.buffer_m)}, notified by ${s.site_owner === me ? 'you' : esc(s.site_owner)}`);
    return lines.map(line).join('');
  }
  if (alert.track_zone_entry) {
    const z = alert.track_zone_entry;
    const who = z.party === me ? `your track <b>${esc(z.track_id)}</b>` : z.track_id ? `track <b>${esc(z.track_id)}</b> of ${esc(z.party)}` : `a track of ${esc(z.party)}`;
    const broken = z.findings.filter((f) => f.broken).map((f) => f.description);
    return line(`${who} ${z.inside_now ? 'was inside' : 'was predicted to enter'} zone <b>${esc(z.zone_name)}</b> ${z.domain === 'sea' ? 'at sea' : `at ${fl(z.altitude_m)}`}`)
      + (broken.length ? line(`against: ${broken.map(esc).join('; ')}`) : '');
  }
  if (alert.tactical) {
    const t = alert.tactical;
    const other = t.other_track ? `${esc(t.other_party)}'s ${esc(t.other_track)}` : esc(t.other_party);
    const what = t.los_now ? 'lost separation' : 'loss of separation was predicted';
    return line(`your track ${esc(t.own_track)}: ${what} with ${other} (closest ${km(t.d_cpa_m)})`);
  }
  if (alert.nonconformance) {
    const n = alert.nonconformance;
    const whose = n.track_id ? `your track ${esc(n.track_id)}${n.operation_id ? ` (operation ${esc(n.operation_id)})` : ''}` : `a track of ${esc(n.track_owner)}`;
    return line(`${whose} was outside its plan${n.reason ? `: ${esc(n.reason)}` : ''}`);
  }
  if (alert.zone_entry) {
    const z = alert.zone_entry;
    const who = z.operation_id ? `operation <b>${esc(z.operation_id)}</b>` : `an operation of ${esc(z.party)}`;
    const first = z.entries[0];
    return line(`${who} was planned into zone <b>${esc(z.zone_name)}</b>${first ? ` ${esc(utc(first.time_start, now))}–${esc(utc(first.time_end, now))}` : ''}`);
  }
  if (alert.incident) return line(esc(alert.incident.narrative || alert.incident.category || ''));
  return (alert.conflicts || []).map((c) => {
    const o = c.overlap;
    const when = o ? ` ${esc(utc(o.time_start, now))}–${esc(utc(o.time_end, now))}` : ' (overlap not released)';
    return line(`your <b>${esc(c.own_operation)}</b> conflicted with ${esc(c.other_party)}${when}`);
  }).join('');
}
