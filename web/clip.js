// Cutting the 1:10m basemap down to the part of the world in view, in the basemap worker
// (web/basemap-worker.js): the whole world at 1:10m is about 3.6 MB of TopoJSON and well over
// a million Leaflet points, which froze the page for about 1.8 s when built on the main
// thread. The worker keeps the world; the page gets only a region around the view, with
// points closer than a fraction of a pixel at the requested zoom dropped.
//
// Pure functions on GeoJSON coordinates ([lon, lat]); boxes are [west, south, east, north].

/** The box of a list of positions. */
export function boxOf(points) {
  let w = Infinity;
  let s = Infinity;
  let e = -Infinity;
  let n = -Infinity;
  for (const [x, y] of points) {
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  }
  return [w, s, e, n];
}

export function boxesMeet(a, b) {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/**
 * Drops each point closer than `tolerance` (degrees, both axes) to the last one kept; the
 * first and last points always stay (a ring stays closed). Radial-distance simplification:
 * linear, and enough to bring a 1:10m line down to what a screen at a given zoom shows.
 */
export function thin(points, tolerance) {
  if (tolerance <= 0 || points.length <= 2) return points;
  const kept = [points[0]];
  let [lx, ly] = points[0];
  for (let i = 1; i < points.length - 1; i++) {
    const [x, y] = points[i];
    if (Math.abs(x - lx) >= tolerance || Math.abs(y - ly) >= tolerance) {
      kept.push(points[i]);
      lx = x;
      ly = y;
    }
  }
  kept.push(points[points.length - 1]);
  return kept;
}

/**
 * A closed ring cut to a box (Sutherland–Hodgman against its four sides). The result is the
 * ring's part inside the box, with runs along the box's sides where the ring left it: right
 * for a fill (the land is drawn without a stroke). A ring entirely outside gives [].
 */
export function clipRing(ring, box) {
  const [w, s, e, n] = box;
  // Each side: is a point inside, and where does a segment cross the side.
  const sides = [
    [(p) => p[0] >= w, (a, b) => [w, a[1] + ((b[1] - a[1]) * (w - a[0])) / (b[0] - a[0])]],
    [(p) => p[0] <= e, (a, b) => [e, a[1] + ((b[1] - a[1]) * (e - a[0])) / (b[0] - a[0])]],
    [(p) => p[1] >= s, (a, b) => [a[0] + ((b[0] - a[0]) * (s - a[1])) / (b[1] - a[1]), s]],
    [(p) => p[1] <= n, (a, b) => [a[0] + ((b[0] - a[0]) * (n - a[1])) / (b[1] - a[1]), n]],
  ];
  // Work on the open ring (GeoJSON repeats the first point last).
  let points = ring.length > 1 && ring[0][0] === ring[ring.length - 1][0] && ring[0][1] === ring[ring.length - 1][1]
    ? ring.slice(0, -1) : ring.slice();
  for (const [inside, cross] of sides) {
    if (!points.length) break;
    const out = [];
    for (let i = 0; i < points.length; i++) {
      const current = points[i];
      const previous = points[(i + points.length - 1) % points.length];
      const currentIn = inside(current);
      const previousIn = inside(previous);
      if (currentIn) {
        if (!previousIn) out.push(cross(previous, current));
        out.push(current);
      } else if (previousIn) {
        out.push(cross(previous, current));
      }
    }
    points = out;
  }
  if (points.length < 3) return [];
  points.push(points[0]);
  return points;
}

/**
 * A line cut to a box: the runs of its segments that may meet the box (a segment whose own
 * box meets it), each a line of its own. A kept segment may reach out of the box: the map
 * clips on screen; what matters is that no segment that crosses the box is lost.
 */
export function clipLine(line, box) {
  const runs = [];
  let run = null;
  for (let i = 1; i < line.length; i++) {
    const a = line[i - 1];
    const b = line[i];
    const meets = Math.min(a[0], b[0]) <= box[2] && Math.max(a[0], b[0]) >= box[0]
      && Math.min(a[1], b[1]) <= box[3] && Math.max(a[1], b[1]) >= box[1];
    if (!meets) {
      run = null;
      continue;
    }
    if (!run) {
      run = [a];
      runs.push(run);
    }
    run.push(b);
  }
  return runs;
}

/**
 * A (Multi)Polygon geometry cut to `box` and thinned to `tolerance`: a MultiPolygon's
 * coordinates (possibly empty). Holes are cut like the exterior.
 */
export function clipPolygons(geometry, box, tolerance) {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  const out = [];
  for (const polygon of polygons) {
    if (!polygon.length || !boxesMeet(boxOf(polygon[0]), box)) continue;
    const rings = [];
    for (const [index, ring] of polygon.entries()) {
      const cut = clipRing(thin(ring, tolerance), box);
      if (cut.length >= 4) rings.push(cut);
      else if (index === 0) break;
    }
    if (rings.length) out.push(rings);
  }
  return out;
}

/** A (Multi)LineString geometry cut to `box` and thinned: a MultiLineString's coordinates. */
export function clipLines(geometry, box, tolerance) {
  const lines = geometry.type === 'LineString' ? [geometry.coordinates] : geometry.type === 'MultiLineString' ? geometry.coordinates : [];
  const out = [];
  for (const line of lines) {
    if (!boxesMeet(boxOf(line), box)) continue;
    for (const run of clipLine(line, box)) out.push(thin(run, tolerance));
  }
  return out;
}

/** Degrees of longitude a pixel spans at `zoom` (256-pixel Web Mercator tiles). */
export function degreesPerPixel(zoom) {
  return 360 / (256 * 2 ** zoom);
}
