// Live tracks for the tests and the screenshot, reported through the public API as their
// owner would (`POST /v1/positions`). The demo itself does not fly tracks yet.

import { api } from './demo.mjs';

/** Two coalition aircraft in and near CAP Latakia North, reported now. */
export function coalitionTracks(now = new Date()) {
  const time = now.toISOString();
  return [
    { track_id: 'e2e-viper11', callsign: 'VIPER 11', operation_id: 'cap-latakia-north', time, lat_deg: 35.78, lon_deg: 35.95,
      altitude_m: 7600, ground_speed_mps: 220, track_deg: 80, vertical_rate_mps: 0 },
    { track_id: 'e2e-viper12', callsign: 'VIPER 12', operation_id: 'cap-latakia-north', time, lat_deg: 35.70, lon_deg: 36.20,
      altitude_m: 7000, ground_speed_mps: 210, track_deg: 260, vertical_rate_mps: 0 },
  ];
}

export async function reportTracks(demo, party, reports) {
  return api(demo, party, 'POST', '/v1/positions', reports);
}
