//! The built-in demo scenario (`scenarios/syria-2015.json`), with times relative to a start.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use deconflict_engine::{OperationSpec, Role};
use deconflict_geometry::{FootprintSpec, Volume4dSpec};
use serde::Deserialize;

/// The scenario shipped in the binary.
pub const SYRIA_2015: &str = include_str!("../../../scenarios/syria-2015.json");

#[derive(Debug, Deserialize)]
pub struct Scenario {
    pub name: String,
    pub parties: Vec<ScenarioParty>,
    /// Published before the operations are filed, so filings are checked against them.
    #[serde(default)]
    pub zones: Vec<ScenarioZone>,
    /// Protected sites, notified before the operations are filed.
    #[serde(default)]
    pub sites: Vec<ScenarioSite>,
    pub operations: Vec<ScenarioOperation>,
}

/// A zone of the scenario (always in effect unless its spec gives a schedule).
#[derive(Debug, Deserialize)]
pub struct ScenarioZone {
    pub owner: String,
    pub id: String,
    pub spec: deconflict_engine::zone::ZoneSpec,
}

/// A protected site of the scenario; a convoy's window is given as offsets from the start.
#[derive(Debug, Deserialize)]
pub struct ScenarioSite {
    pub owner: String,
    pub id: String,
    spec: deconflict_engine::site::SiteSpec,
    #[serde(default)]
    window_offsets_s: Option<[i64; 2]>,
}

impl ScenarioSite {
    /// The site as notified, its window (if any) placed at `start` + offsets.
    pub fn spec_at(&self, start: DateTime<Utc>) -> deconflict_engine::site::SiteSpec {
        let mut spec = self.spec.clone();
        if let Some([from, to]) = self.window_offsets_s {
            spec.schedule.windows = vec![deconflict_engine::zone::Window {
                start: start + Duration::seconds(from),
                end: start + Duration::seconds(to),
            }];
        }
        spec
    }
}

#[derive(Debug, Deserialize)]
pub struct ScenarioParty {
    pub id: String,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize)]
pub struct ScenarioOperation {
    pub owner: String,
    pub id: String,
    spec: SpecHeader,
    volumes: Vec<ScenarioVolume>,
    /// The live track the demo flies for this operation, if any.
    #[serde(default)]
    pub track: Option<crate::simulate::SimTrack>,
}

#[derive(Debug, Deserialize)]
struct SpecHeader {
    mission_type: deconflict_engine::MissionType,
    domain: deconflict_engine::Domain,
    callsign: Option<String>,
    /// ASTM F3548 priority (default 0).
    #[serde(default)]
    priority: i32,
}

#[derive(Debug, Deserialize)]
struct ScenarioVolume {
    footprint: FootprintSpec,
    altitude_lower_m: f64,
    altitude_upper_m: f64,
    start_offset_s: i64,
    end_offset_s: i64,
}

impl ScenarioOperation {
    pub fn callsign(&self) -> Option<&str> {
        self.spec.callsign.as_deref()
    }

    pub fn domain(&self) -> deconflict_engine::Domain {
        self.spec.domain
    }

    /// The operation as it is filed, with its volumes placed at `start` + offsets.
    pub fn spec_at(&self, start: DateTime<Utc>) -> OperationSpec {
        OperationSpec {
            mission_type: self.spec.mission_type,
            domain: self.spec.domain,
            callsign: self.spec.callsign.clone(),
            priority: self.spec.priority,
            volumes: self
                .volumes
                .iter()
                .map(|volume| Volume4dSpec {
                    footprint: volume.footprint.clone(),
                    altitude_lower_m: volume.altitude_lower_m,
                    altitude_upper_m: volume.altitude_upper_m,
                    time_start: start + Duration::seconds(volume.start_offset_s),
                    time_end: start + Duration::seconds(volume.end_offset_s),
                })
                .collect(),
        }
    }
}

pub fn load(text: &str) -> anyhow::Result<Scenario> {
    serde_json::from_str(text).context("the scenario file is not valid")
}
