//! The header row of an OpenSky CSV file: where each used column is, and in which units.
//!
//! Two dialects are recognised by their column names:
//! - **OpenSky** state-vector dumps (`time`, `lat`, `lon`, `velocity`, `heading`, `vertrate`,
//!   `baroaltitude`, `geoaltitude`, `lastposupdate`): SI units, Unix-second times.
//! - **`traffic`** (the Python library most OpenSky data is exported with: `Traffic.to_csv`)
//!   renames them `timestamp`, `latitude`, `longitude`, `groundspeed`, `track`,
//!   `vertical_rate`, `altitude` (barometric), `geoaltitude`, `last_position`, and by default
//!   (`nautical_units=True`) writes knots, feet and feet per minute; its times are pandas
//!   timestamps (`2018-10-01 06:00:00+00:00`) or Unix seconds. Source: the `format_history`
//!   function of xoolive/traffic, `traffic/data/adsb/opensky.py`.

use crate::error::LineError;

/// Where the used columns are.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Columns {
    pub(crate) count: usize,
    pub(crate) time: usize,
    pub(crate) icao24: usize,
    pub(crate) lat: usize,
    pub(crate) lon: usize,
    pub(crate) velocity: usize,
    pub(crate) heading: usize,
    pub(crate) vertrate: Option<usize>,
    pub(crate) callsign: Option<usize>,
    pub(crate) onground: Option<usize>,
    pub(crate) baroaltitude: Option<usize>,
    pub(crate) geoaltitude: Option<usize>,
    pub(crate) lastposupdate: Option<usize>,
    /// What the speed, altitude and vertical-rate columns are in, as SI factors.
    pub(crate) units: Units,
}

/// Multipliers from a dialect's units to metres, m/s and m/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Units {
    pub(crate) speed: f64,
    pub(crate) altitude: f64,
    pub(crate) vertical_rate: f64,
}

const SI: Units = Units {
    speed: 1.0,
    altitude: 1.0,
    vertical_rate: 1.0,
};

const NAUTICAL: Units = Units {
    speed: crate::report::KNOTS_TO_MPS,
    altitude: crate::report::FEET_TO_M,
    vertical_rate: crate::report::FEET_PER_MINUTE_TO_MPS,
};

impl Columns {
    pub(crate) fn from_header(header: &str, line: u64) -> Result<Columns, LineError> {
        let names: Vec<&str> = header
            .split(',')
            .map(|name| super::unquote(name.trim()))
            .collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let require =
            |column: &'static str| find(column).ok_or(LineError::MissingColumn { line, column });
        if find("time").is_none() && find("timestamp").is_some() {
            return Self::traffic(&names, line);
        }
        let columns = Columns {
            count: names.len(),
            time: require("time")?,
            icao24: require("icao24")?,
            lat: require("lat")?,
            lon: require("lon")?,
            velocity: require("velocity")?,
            heading: require("heading")?,
            vertrate: find("vertrate"),
            callsign: find("callsign"),
            onground: find("onground"),
            baroaltitude: find("baroaltitude"),
            geoaltitude: find("geoaltitude"),
            lastposupdate: find("lastposupdate"),
            units: SI,
        };
        if columns.geoaltitude.is_none() && columns.baroaltitude.is_none() {
            return Err(LineError::MissingColumn {
                line,
                column: "geoaltitude",
            });
        }
        Ok(columns)
    }

    /// The `traffic` library's names and units (module docs).
    fn traffic(names: &[&str], line: u64) -> Result<Columns, LineError> {
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let require =
            |column: &'static str| find(column).ok_or(LineError::MissingColumn { line, column });
        let columns = Columns {
            count: names.len(),
            time: require("timestamp")?,
            icao24: require("icao24")?,
            lat: require("latitude")?,
            lon: require("longitude")?,
            velocity: require("groundspeed")?,
            heading: require("track")?,
            vertrate: find("vertical_rate"),
            callsign: find("callsign"),
            onground: find("onground"),
            baroaltitude: find("altitude"),
            geoaltitude: find("geoaltitude"),
            lastposupdate: find("last_position"),
            units: NAUTICAL,
        };
        if columns.geoaltitude.is_none() && columns.baroaltitude.is_none() {
            return Err(LineError::MissingColumn {
                line,
                column: "altitude",
            });
        }
        Ok(columns)
    }
}
