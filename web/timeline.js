// The timeline strip under the map: one row per own operation, its volumes' windows as bars
// (callsign written), the windows of its open conflicts and zone or site entries laid over them
// in the severity's colour with its symbol; alerts not tied to an own operation (a zone owner's,
// a site's) share a last row. A now-line, and the time filter's time as a cursor. A click on a
// bar selects the operation or the alert (the map zooms to it); a click on the strip's
// background sets the time filter to that time. Bars are buttons, so Tab and Enter work.

import { SEVERITY_SYMBOL, esc, utcWindow } from './format.js';

const HOUR = 3600000;

/** Every open alert's windows: [{ alert, operation (own id or null), start, end }]. */
export function alertWindows(alerts) {
  const windows = [];
  for (const alert of alerts) {
    for (const c of alert.conflicts || []) {
      if (c.overlap) windows.push({ alert, operation: c.own_operation, start: c.overlap.time_start, end: c.overlap.time_end });
    }
    for (const e of alert.zone_entry?.entries || []) {
      windows.push({ alert, operation: alert.zone_entry.operation_id ?? null, start: e.time_start, end: e.time_end });
    }
    for (const v of alert.site?.volumes || []) {
      windows.push({ alert, operation: alert.site.operation_id ?? null, start: v.from, end: v.to });
    }
  }
  return windows.filter((w) => Number.isFinite(Date.parse(w.start)) && Number.isFinite(Date.parse(w.end)));
}

export class Timeline {
  constructor(element, { onOperation, onAlert, onTime }) {
    this.element = element;
    this.callbacks = { onOperation, onAlert, onTime };
    this.span = null;
    this.cursor = null;
    element.addEventListener('click', (event) => {
      const bar = event.target.closest('button[data-kind]');
      if (bar) {
        if (bar.dataset.kind === 'operation') onOperation(bar.dataset.id);
        else onAlert(bar.dataset.id);
        return;
      }
      const lane = element.querySelector('.tl-lanes');
      if (!this.span || !lane) return;
      const box = lane.getBoundingClientRect();
      const f = (event.clientX - box.left) / box.width;
      if (f < 0 || f > 1) return;
      onTime(this.span[0] + f * (this.span[1] - this.span[0]));
    });
  }

  /** Where time t falls on the strip, in percent of its width. */
  x(t) {
    const [t0, t1] = this.span;
    return (100 * (t - t0)) / (t1 - t0);
  }

  /**
   * Draws `operations` (the party's own, GET /v1/operations) and the windows of the open
   * `alerts` over [span[0], span[1]] (ms); `short` gives an alert's short id.
   */
  draw({ operations, alerts, span, short, now = Date.now() }) {
    this.span = span;
    const windows = alertWindows(alerts);
    const rows = operations.map((op) => ({ op, windows: windows.filter((w) => w.operation === op.id) }));
    const loose = windows.filter((w) => !operations.some((op) => op.id === w.operation));
    if (loose.length) rows.push({ op: null, windows: loose });
    const clamp = (t) => Math.min(Math.max(Date.parse(t), span[0]), span[1]);
    const bar = (start, end) => {
      const left = this.x(clamp(start));
      return `left:${left.toFixed(3)}%;width:${Math.max(0.4, this.x(clamp(end)) - left).toFixed(3)}%`;
    };
    const lanes = rows.map(({ op, windows: ws }) => {
      // Windows that overlap in time go on separate lines under the operation's bar.
      const lines = [];
      const placed = ws.map((w) => {
        const [a, b] = [Date.parse(w.start), Date.parse(w.end)];
        let line = lines.findIndex((end) => end <= a);
        if (line < 0) line = lines.push(b) - 1;
        else lines[line] = b;
        return { ...w, line };
      });
      const own = op ? op.volumes.map((v, i) => `<button type="button" class="tl-bar tl-op" data-kind="operation" data-id="${esc(op.id)}"
          style="${bar(v.time_start, v.time_end)}" title="${esc(op.callsign || op.id)} volume ${i + 1}: ${esc(utcWindow(v.time_start, v.time_end, now))}"
          aria-label="Operation ${esc(op.callsign || op.id)}, ${esc(utcWindow(v.time_start, v.time_end, now))}">${i === 0 ? esc(op.callsign || op.id) : ''}</button>`).join('') : '';
      const conflicts = placed.map((w) => `<button type="button" class="tl-bar tl-alert sev-${esc(w.alert.severity)}" data-kind="alert" data-id="${esc(w.alert.id)}"
          style="${bar(w.start, w.end)};top:${14 + 12 * w.line}px" title="${SEVERITY_SYMBOL[w.alert.severity]} ${esc(w.alert.severity.toUpperCase())} ${esc(short(w.alert.id))}: ${esc(utcWindow(w.start, w.end, now))}"
          aria-label="${esc(w.alert.severity)} alert ${esc(short(w.alert.id))}, ${esc(utcWindow(w.start, w.end, now))}">${SEVERITY_SYMBOL[w.alert.severity]} ${esc(short(w.alert.id))}</button>`).join('');
      return `<div class="tl-lane" style="height:${14 + 12 * Math.max(1, lines.length)}px">${op ? '' : '<span class="tl-lane-name">other alerts</span>'}${own}${conflicts}</div>`;
    }).join('');
    const ticks = [];
    const step = span[1] - span[0] > 18 * HOUR ? 6 * HOUR : span[1] - span[0] > 8 * HOUR ? 2 * HOUR : HOUR;
    for (let t = Math.ceil(span[0] / step) * step; t <= span[1]; t += step) {
      ticks.push(`<span class="tl-tick" style="left:${this.x(t).toFixed(3)}%">${new Date(t).toISOString().slice(11, 13)}Z</span>`);
    }
    this.element.innerHTML = `<div class="tl-axis">${ticks.join('')}</div>
      <div class="tl-lanes">${lanes || '<div class="tl-lane tl-empty">No operation or timed alert of yours.</div>'}
        <div class="tl-now" title="now"></div><div class="tl-cursor" hidden></div></div>`;
    this.tick(now);
    this.setCursor(this.cursor);
  }

  /** Moves the now-line. */
  tick(now = Date.now()) {
    const line = this.element.querySelector('.tl-now');
    if (!line || !this.span) return;
    line.hidden = now < this.span[0] || now > this.span[1];
    line.style.left = `${this.x(now).toFixed(3)}%`;
  }

  /** Shows the time filter's time (ms), or hides the cursor (null). */
  setCursor(time) {
    this.cursor = time;
    const cursor = this.element.querySelector('.tl-cursor');
    if (!cursor || !this.span) return;
    cursor.hidden = time === null || time === undefined;
    if (!cursor.hidden) cursor.style.left = `${this.x(time).toFixed(3)}%`;
  }
}
