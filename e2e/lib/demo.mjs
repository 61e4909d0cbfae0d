// Starts `deconflict demo` on a random port and reads what it prints: the URL, each party's
// token and the conflict table. The binary is the already-built target/debug/deconflict, or
// $DECONFLICT_BIN.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.DECONFLICT_BIN || path.join(ROOT, 'target/debug/deconflict');
export const SCENARIO = JSON.parse(readFileSync(path.join(ROOT, 'scenarios/syria-2015.json'), 'utf8'));

const STARTUP_TIMEOUT_MS = 30000;

/** Resolves to { url, tokens: {party: token}, conflicts: [{alert, operation, other}], stop() }.
 *  With `{ traffic: true }` the demo flies its simulated tracks (aircraft and ships) from a
 *  start two hours back, as `deconflict demo` does by default. */
export function startDemo({ traffic = false } = {}) {
  // The scenario placed at the next full hour, without the simulated traffic, so what the
  // tests look for does not move under them.
  const nextHour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 3_600_000).toISOString();
  const args = traffic
    ? ['demo', '--listen', '127.0.0.1:0']
    : ['demo', '--listen', '127.0.0.1:0', '--at', nextHour, '--no-traffic'];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stderr.on('data', (chunk) => { errors += chunk; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not start within ${STARTUP_TIMEOUT_MS} ms:\n${output}\n${errors}`));
    }, STARTUP_TIMEOUT_MS);
    child.on('exit', (code) => reject(new Error(`demo exited (${code}):\n${output}\n${errors}`)));
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const url = output.match(/serving on (http:\/\/\S+)/)?.[1];
      const tokens = Object.fromEntries([...output.matchAll(/token for (\S+)\s+(dcf_\w+)/g)].map((m) => [m[1], m[2]]));
      if (!url || Object.keys(tokens).length < SCENARIO.parties.length || !output.includes('Ctrl-C')) return;
      clearTimeout(timer);
      const conflicts = [...output.matchAll(/^(sc-[0-9a-f]+)\s+(\S+)\s+(\S+)/gm)].map((m) => ({ alert: m[1], operation: m[2], other: m[3] }));
      resolve({
        url, tokens, conflicts, output,
        stop: () => new Promise((done) => {
          child.removeAllListeners('exit');
          child.on('exit', done);
          child.kill('SIGTERM');
        }),
      });
    });
  });
}

/** A /v1 call as a party, from the test itself (not the page). */
export async function api(demo, party, method, pathname, body) {
  const response = await fetch(new URL(pathname, demo.url), {
    method,
    headers: { Authorization: `Bearer ${demo.tokens[party]}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${pathname} as ${party}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** What the stream told a party (everything from the start), read for `ms` milliseconds. */
export async function streamText(demo, party, ms = 2000) {
  const controller = new AbortController();
  const response = await fetch(new URL('/v1/alerts/stream?after=0', demo.url), {
    headers: { Authorization: `Bearer ${demo.tokens[party]}` }, signal: controller.signal,
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const deadline = setTimeout(() => controller.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
  } catch (error) {
    if (error.name !== 'AbortError') throw error;
  } finally {
    clearTimeout(deadline);
  }
  return text;
}

/**
 * What `viewer` must never see of the others under the demo's default release
 * (conflicts_only): every other party's operation ids and callsigns, the mission types the
 * viewer does not itself use, and the footprint coordinates of others' operations that are
 * not in conflict with the viewer (volumes outside any overlap). Returns { words, coordinates }:
 * coordinates are written as the server's JSON writes them ("44.0,33.5") and only make sense
 * in API bodies (the public basemap is full of numbers).
 */
export function hiddenMarkers(viewer, conflicts) {
  const own = SCENARIO.operations.filter((o) => o.owner === viewer);
  const others = SCENARIO.operations.filter((o) => o.owner !== viewer);
  const ownMissions = new Set(own.map((o) => o.spec.mission_type));
  // Zones are public (every party reads them): a mission type named in a zone's rule is not
  // a secret of whoever flies it.
  for (const zone of SCENARIO.zones || []) {
    for (const rule of zone.spec.rules) for (const mission of rule.missions || []) ownMissions.add(mission);
  }
  const inConflictWithViewer = new Set(conflicts.flatMap((c) => {
    if (c.operation.startsWith(`${viewer}/`)) return [c.other];
    if (c.other.startsWith(`${viewer}/`)) return [c.operation];
    return [];
  }));
  const words = [];
  const coordinates = [];
  const json = (x) => (Number.isInteger(x) ? `${x}.0` : String(x));
  for (const operation of others) {
    words.push(operation.id, operation.spec.callsign);
    if (!ownMissions.has(operation.spec.mission_type)) words.push(operation.spec.mission_type);
    if (inConflictWithViewer.has(`${operation.owner}/${operation.id}`)) continue;
    for (const volume of operation.volumes) {
      const points = volume.footprint.type === 'Circle' ? [volume.footprint.center] : volume.footprint.coordinates.flat();
      for (const [lon, lat] of points) coordinates.push(`${json(lon)},${json(lat)}`);
    }
  }
  return { words: [...new Set(words.filter(Boolean))], coordinates: [...new Set(coordinates)] };
}
