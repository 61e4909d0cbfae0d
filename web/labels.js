// Map labels never overlap: every permanent label on the map (conflicts, pair lines, sites,
// operations, zones, tracks, places) carries the class `lbl` and a priority; after each redraw,
// zoom or pan, the labels are placed greedily in priority order and any that would overlap one
// already placed is hidden (`lbl-hidden`, still laid out so its box can be measured next time).
// A hidden label comes back when zooming in makes room, while the pointer is over its shape
// (`lbl-hover`), or when its alert is selected in the inbox (which raises it to the top).
//
// Greedy placement by priority is the usual rule of map labelling engines (Mapbox GL's
// symbol placement, QGIS's label engine): simple, stable from one frame to the next, and the
// most important label always wins. Label counts here are small (tens, up to the 300 labelled
// tracks), so boxes are compared pairwise within a coarse screen grid.

/** Priorities: higher is placed first. A selected alert's labels go above everything. */
export const LABEL_PRIORITY = {
  selected: 1000,
  pair: 900,
  conflict: 800, // + 10 × severity rank
  track: 700, // live positions outrank the static picture
  site: 600,
  operation: 500,
  zone: 400,
  place: 100,
};

/** The class list that makes a label take part: `lbl lbl-p<priority>`. */
export function labelClass(priority) {
  return `lbl lbl-p${Math.round(priority)}`;
}

/** Pixels kept clear around each label. */
const MARGIN = 2;
const CELL = 128;

function priorityOf(element) {
  if (element.classList.contains('lbl-selected')) return LABEL_PRIORITY.selected;
  const match = element.className.match(/\blbl-p(\d+)\b/);
  return match ? Number(match[1]) : 0;
}

/**
 * Hides every `.lbl` inside `container` that would overlap a label of higher (or equal and
 * earlier) priority. Returns { shown, hidden } counts. Labels being hovered are placed first,
 * so the one under the pointer is always readable.
 */
export function declutter(container) {
  // A label Leaflet is fading out (opacity 0, removed 200 ms later) takes no room.
  const live = [...container.querySelectorAll('.lbl')].filter((element) => element.style.opacity !== '0');
  const labels = live.map((element, order) => ({
    element,
    order,
    priority: element.classList.contains('lbl-hover') ? Infinity : priorityOf(element),
    box: element.getBoundingClientRect(),
  }));
  labels.sort((a, b) => b.priority - a.priority || a.order - b.order);
  const grid = new Map();
  const cells = (box) => {
    const keys = [];
    for (let x = Math.floor((box.left - MARGIN) / CELL); x <= Math.floor((box.right + MARGIN) / CELL); x++) {
      for (let y = Math.floor((box.top - MARGIN) / CELL); y <= Math.floor((box.bottom + MARGIN) / CELL); y++) keys.push(`${x},${y}`);
    }
    return keys;
  };
  let shown = 0;
  let hidden = 0;
  for (const label of labels) {
    const { box } = label;
    // A label with no size (not rendered, e.g. its layer is filtered out) takes no room.
    if (box.width === 0 && box.height === 0) continue;
    const keys = cells(box);
    const collides = keys.some((key) => (grid.get(key) || []).some((other) => overlaps(box, other)));
    label.element.classList.toggle('lbl-hidden', collides);
    if (collides) {
      hidden += 1;
      continue;
    }
    shown += 1;
    for (const key of keys) {
      if (!grid.has(key)) grid.set(key, []);
      grid.get(key).push(box);
    }
  }
  return { shown, hidden };
}

/** Do two boxes come closer than MARGIN? */
export function overlaps(a, b) {
  return a.left < b.right + MARGIN && b.left < a.right + MARGIN && a.top < b.bottom + MARGIN && b.top < a.bottom + MARGIN;
}
