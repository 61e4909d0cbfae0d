// Populated places on the map, by zoom: the big cities when zoomed out, towns as the map
// zooms in, every town the data has by zoom 11 (about 1:250,000 at the theatre's latitude).
// The places are GeoNames' (CC BY 4.0), vendored as web/vendor/places/places.json by
// web/vendor.sh: [name, lon, lat, population], largest first.
//
// Only the places inside the view (and a margin) are on the map, at most MAX_PLACES of them,
// and their labels take part in the label placement (web/labels.js) below every label of
// the operations picture, a big city's above a village's.

import { LABEL_PRIORITY } from './labels.js';

/** The smallest population shown from each zoom on (the first entry that the zoom reaches). */
export const POPULATION_BY_ZOOM = [
  [11, 0],
  [10, 5000],
  [9, 20000],
  [8, 50000],
  [7, 200000],
  [6, 500000],
  [5, 1000000],
  [4, 2000000],
  [-Infinity, 5000000],
];

/** Places on the map at once, at most: the largest in view are kept. */
export const MAX_PLACES = 150;

/** A city of at least this many inhabitants is drawn as a city (bolder). */
export const CITY_POPULATION = 100000;

/** The smallest population shown at `zoom` (rounded to the nearest whole zoom). */
export function minPopulation(zoom) {
  const z = Math.round(zoom);
  return POPULATION_BY_ZOOM.find(([from]) => z >= from)[1];
}

/** A place's label priority: above nothing of the picture, bigger places above smaller. */
export function placePriority(population) {
  return LABEL_PRIORITY.place + Math.min(9, Math.floor(Math.log10(Math.max(1, population))));
}

/**
 * The places to show in `box` ([south, west, north, east], degrees) at `zoom`: indices into
 * `places` (sorted by population, largest first), at most `max`, each with the longitude it is
 * drawn at (shifted by 360° when the view crosses the antimeridian). Stops at the first place
 * too small for the zoom, so a zoomed-out view looks at the big cities only.
 */
export function placesInView(places, box, zoom, max = MAX_PLACES) {
  const [south, west, north, east] = box;
  const least = minPopulation(zoom);
  const whole = east - west >= 360;
  const shown = [];
  for (let i = 0; i < places.length && shown.length < max; i++) {
    const [, lon, lat, population] = places[i];
    if (population < least) break;
    if (lat < south || lat > north) continue;
    if (whole) {
      shown.push([i, lon]);
      continue;
    }
    for (const at of [lon, lon - 360, lon + 360]) {
      if (at >= west && at <= east) {
        shown.push([i, at]);
        break;
      }
    }
  }
  return shown;
}
