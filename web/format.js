// Formatting shared by the map and the panels: UTC times, relative countdowns, altitudes,
// severities. Pure functions; all times are UTC, always written with a trailing "Z".

export const SEVERITY_RANK = { advisory: 0, caution: 1, warning: 2 };
/** Okabe–Ito colours per severity (the same as style.css). */
export const SEVERITY_COLOUR = { advisory: '#56B4E9', caution: '#E69F00', warning: '#D55E00' };
/** A shape per severity, so that severity never rests on colour alone. */
export const SEVERITY_SYMBOL = { advisory: '●', caution: '◆', warning: '▲' };
export const OWN_COLOUR = '#0072B2';
export const OTHER_COLOUR = '#CC79A7';
export const OWN_TRACK_COLOUR = '#009E73';
/** Protected sites: Okabe–Ito yellow edged in black, apart from plans (blue, purple), tracks
 *  (green), severities (sky, orange, vermillion) and zones (grey); the label writes the kind. */
export const SITE_COLOUR = '#F0E442';
export const SITE_INK = '#000000';
/** A symbol per site kind (all in DejaVu Sans), always written beside the kind in words. */
export const SITE_SYMBOL = {
  hospital: '✚', school: '✎', shelter: '⌂', camp: '△', water_facility: '≈', power_facility: '⚡', convoy: '➤',
};

const FEET_PER_METRE = 3.28084;

/** "14:05Z" for today, "27 Nov 14:05Z" otherwise. */
export function utc(time, now = Date.now()) {
  const date = new Date(time);
  const hhmm = date.toISOString().slice(11, 16) + 'Z';
  if (new Date(now).toISOString().slice(0, 10) === date.toISOString().slice(0, 10)) return hhmm;
  const day = date.toLocaleString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return `${day} ${hhmm}`;
}

/** A UTC window: "10:00–12:00Z" within one day (prefixed "27 Nov" unless it is today),
 *  "27 Nov 22:00Z–28 Nov 01:00Z" across midnight. */
export function utcWindow(start, end, now = Date.now()) {
  const a = new Date(start);
  const b = new Date(end);
  if (a.toISOString().slice(0, 10) !== b.toISOString().slice(0, 10)) return `${utc(a, now)}–${utc(b, now)}`;
  const day = utc(a, now).slice(0, -6);
  return `${day}${a.toISOString().slice(11, 16)}–${b.toISOString().slice(11, 16)}Z`;
}

/** Hex digits an alert id's short form keeps after its kind prefix ("sc-1a2b"). */
export const SHORT_ID_DIGITS = 4;

/**
 * An alert id's short form, as written on map labels, inbox cards and hotline messages: its
 * kind prefix and first SHORT_ID_DIGITS characters ("sc-bc6e2f7a7187586d" → "sc-bc6e"), longer
 * where `ids` (the other alerts in view) share that prefix, so it names one alert.
 */
export function shortId(id, ids = []) {
  const text = String(id);
  const dash = text.indexOf('-');
  let length = dash + 1 + SHORT_ID_DIGITS;
  if (dash < 0 || length >= text.length) return text;
  const others = ids.filter((other) => other !== text);
  while (length < text.length && others.some((other) => other.startsWith(text.slice(0, length)))) length += 1;
  return text.slice(0, length);
}

/** "1h 05m", "4m 20s", "35s" for a duration in seconds (absolute value). */
export function duration(seconds) {
  const s = Math.round(Math.abs(seconds));
  if (s >= 86400) return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** "in 4m 20s" or "6m 02s ago". */
export function relative(time, now = Date.now()) {
  const seconds = (new Date(time).getTime() - now) / 1000;
  return seconds >= 0 ? `in ${duration(seconds)}` : `${duration(seconds)} ago`;
}

/** Where a window [start, end) stands: "starts in …", "in progress, ends in …", "ended … ago". */
export function windowStatus(start, end, now = Date.now()) {
  const t0 = new Date(start).getTime();
  const t1 = new Date(end).getTime();
  if (now < t0) return `starts in ${duration((t0 - now) / 1000)}`;
  if (now < t1) return `in progress, ends in ${duration((t1 - now) / 1000)}`;
  return `ended ${duration((now - t1) / 1000)} ago`;
}

/** Flight level (hundreds of feet) of an altitude in metres. */
export function flightLevel(metres) {
  return Math.round((metres * FEET_PER_METRE) / 100);
}

export function fl(metres) {
  return `FL${String(flightLevel(metres)).padStart(3, '0')}`;
}

/** "FL197–FL295 (6,000–9,000 m)". */
export function band(lowerM, upperM) {
  const m = (x) => Math.round(x).toLocaleString('en-GB');
  return `${fl(lowerM)}–${fl(upperM)} (${m(lowerM)}–${m(upperM)} m)`;
}

/** A site kind in words: "water facility". */
export function siteKind(kind) {
  return String(kind ?? 'site').replace(/_/g, ' ');
}

/** A schedule (zones, sites) in UTC: "27 Nov 05:00Z–08:00Z; Mon, Tue 06:00–18:00Z", or "always". */
export function scheduleText(schedule, now = Date.now()) {
  const parts = [
    ...(schedule?.windows || []).map((w) => `${utc(w.start, now)}–${utc(w.end, now)}`),
    ...(schedule?.weekly || []).map((s) => `${s.days.map((d) => d[0].toUpperCase() + d.slice(1)).join(', ')} ${s.start}–${s.end}Z`),
  ];
  return parts.length ? parts.join('; ') : 'always';
}

export function km(metres) {
  return `${(metres / 1000).toFixed(1)} km`;
}

/** A resolved alert is history: it is listed under Recent and never drawn as current. Every
 *  other state (today only `open`) is present and needs attention. */
export function isResolved(alert) {
  return alert.state === 'resolved';
}

/** Escapes text for HTML built with template strings. */
export function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
