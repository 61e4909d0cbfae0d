//! The header row of an OpenSky CSV file: where each used column is.

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
}

impl Columns {
    pub(crate) fn from_header(header: &str, line: u64) -> Result<Columns, LineError> {
        let names: Vec<&str> = header
            .split(',')
            .map(|name| super::unquote(name.trim()))
            .collect();
        let find = |name: &str| names.iter().position(|n| n.eq_ignore_ascii_case(name));
        let require =
            |column: &'static str| find(column).ok_or(LineError::MissingColumn { line, column });
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
        };
        if columns.geoaltitude.is_none() && columns.baroaltitude.is_none() {
            return Err(LineError::MissingColumn {
                line,
                column: "geoaltitude",
            });
        }
        Ok(columns)
    }
}
