// The 1:10m basemap, off the page's main thread (a module worker, same origin, as the
// Content-Security-Policy allows): it fetches and parses the vendored Natural Earth TopoJSON
// once, turns it into land polygons, coastlines (arcs of one country) and borders (arcs
// shared by two), and answers each request with the part of them in a box, thinned for a
// zoom (web/clip.js). Parsing and converting the whole world took about 1.8 s on the main
// thread; here the page only builds the small region it is sent.
//
// Request: { id, file, box: [west, south, east, north], zoom }.
// Answer: { id, box, zoom, land: MultiPolygon coordinates, coast, borders: MultiLineString
// coordinates } or { id, error }.

import './vendor/topojson-client/topojson-client.min.js';
import { clipLines, clipPolygons, degreesPerPixel } from './clip.js';

const worlds = new Map();

async function world(file) {
  const topology = await (await fetch(`vendor/world-atlas/${file}`)).json();
  const countries = topology.objects.countries;
  const { topojson } = self;
  return {
    land: topojson.feature(topology, countries).features.map((f) => f.geometry).filter(Boolean),
    coast: topojson.mesh(topology, countries, (a, b) => a === b),
    borders: topojson.mesh(topology, countries, (a, b) => a !== b),
  };
}

self.onmessage = async ({ data: { id, file, box, zoom } }) => {
  try {
    if (!worlds.has(file)) worlds.set(file, world(file));
    const { land, coast, borders } = await worlds.get(file);
    // A pixel at this zoom (what Leaflet thins a line to anyway), in degrees of latitude at the box's middle latitude.
    const middle = ((box[1] + box[3]) / 2) * (Math.PI / 180);
    const tolerance = degreesPerPixel(zoom) * Math.cos(middle);
    self.postMessage({
      id, box, zoom,
      land: land.flatMap((g) => clipPolygons(g, box, tolerance)),
      coast: clipLines(coast, box, tolerance),
      borders: clipLines(borders, box, tolerance),
    });
  } catch (error) {
    worlds.delete(file);
    self.postMessage({ id, error: String(error?.message || error) });
  }
};
