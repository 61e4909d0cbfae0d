//! What a ship says about itself, apart from where it is: name, radio callsign, size.
//!
//! Class A ships send it in message 5 (static and voyage data, every 6 minutes), class B in
//! message 24 (part A the name, part B the callsign and size) and the extended position
//! report 19 (name and size). The parts arrive separately and at other times than the
//! positions, so [`VesselStatic`] is merged field by field per MMSI: a part never erases what
//! another part said. Empty text ("@" padding) and zero dimensions are "not available".

use std::collections::BTreeMap;

use aivdm::message::{StaticDataReport, StaticVoyageData};
use aivdm::AisMessage;
use serde::Serialize;

use crate::stats::MAX_TRACKS;

/// One vessel's static data, as far as it has been received.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VesselStatic {
    pub name: Option<String>,
    /// The radio callsign (ITU call sign, up to 7 characters).
    pub callsign: Option<String>,
    /// Bow to stern, metres (AIS resolves whole metres; at most 511 + 511).
    pub length_m: Option<f64>,
    /// Port to starboard, metres.
    pub beam_m: Option<f64>,
    /// ITU-R M.1371 ship and cargo type code (Table 53; 35 is military operations).
    pub ship_type: Option<u8>,
}

/// The fields one message brings.
struct Update<'a> {
    name: Option<&'a str>,
    callsign: Option<&'a str>,
    dimensions: Option<(u16, u16, u8, u8)>,
    ship_type: Option<u8>,
}

/// Static data per MMSI, at most [`MAX_TRACKS`] vessels (past that, new vessels' static data
/// is not kept; their positions are still reported).
#[derive(Debug, Default)]
pub(super) struct Vessels {
    by_mmsi: BTreeMap<u32, VesselStatic>,
}

impl Vessels {
    /// Takes the static part of `message`. `true` when the message was static data (whether
    /// or not the table had room), `false` for any other message.
    pub fn absorb(&mut self, message: &AisMessage) -> bool {
        let (mmsi, update) = match message {
            AisMessage::StaticVoyageData(m) => (m.mmsi.raw(), voyage(m)),
            AisMessage::StaticDataReport(StaticDataReport::A(m)) => (
                m.mmsi.raw(),
                Update {
                    name: Some(m.name.as_str()),
                    callsign: None,
                    dimensions: None,
                    ship_type: None,
                },
            ),
            AisMessage::StaticDataReport(StaticDataReport::B(m)) => (
                m.mmsi.raw(),
                Update {
                    name: None,
                    callsign: Some(m.call_sign.as_str()),
                    // An auxiliary craft (MMSI 98xxxxxxx) sends its mothership's MMSI there.
                    dimensions: (!is_auxiliary(m.mmsi.raw())).then_some((
                        m.dimension_to_bow,
                        m.dimension_to_stern,
                        m.dimension_to_port,
                        m.dimension_to_starboard,
                    )),
                    ship_type: Some(m.ship_type),
                },
            ),
            AisMessage::PositionReportClassBExtended(m) => (
                m.mmsi.raw(),
                Update {
                    name: Some(m.name.as_str()),
                    callsign: None,
                    dimensions: Some((
                        m.dimension_to_bow,
                        m.dimension_to_stern,
                        m.dimension_to_port,
                        m.dimension_to_starboard,
                    )),
                    ship_type: Some(m.ship_type),
                },
            ),
            _ => return false,
        };
        if !self.by_mmsi.contains_key(&mmsi) && self.by_mmsi.len() >= MAX_TRACKS {
            return true;
        }
        merge(self.by_mmsi.entry(mmsi).or_default(), update);
        true
    }

    pub fn get(&self, mmsi: u32) -> Option<&VesselStatic> {
        self.by_mmsi.get(&mmsi)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &VesselStatic)> {
        self.by_mmsi.iter().map(|(mmsi, vessel)| (*mmsi, vessel))
    }
}

fn voyage(m: &StaticVoyageData) -> Update<'_> {
    Update {
        name: Some(m.name.as_str()),
        callsign: Some(m.call_sign.as_str()),
        dimensions: Some((
            m.dimension_to_bow,
            m.dimension_to_stern,
            m.dimension_to_port,
            m.dimension_to_starboard,
        )),
        ship_type: Some(m.ship_type),
    }
}

fn is_auxiliary(mmsi: u32) -> bool {
    (980_000_000..990_000_000).contains(&mmsi)
}

fn merge(vessel: &mut VesselStatic, update: Update<'_>) {
    let text = |value: Option<&str>| {
        value
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    if let Some(name) = text(update.name) {
        vessel.name = Some(name);
    }
    if let Some(callsign) = text(update.callsign) {
        vessel.callsign = Some(callsign);
    }
    if let Some((bow, stern, port, starboard)) = update.dimensions {
        let length = u32::from(bow) + u32::from(stern);
        let beam = u32::from(port) + u32::from(starboard);
        if length > 0 {
            vessel.length_m = Some(f64::from(length));
        }
        if beam > 0 {
            vessel.beam_m = Some(f64::from(beam));
        }
    }
    // 0 is "not available" (Table 53).
    if let Some(ship_type) = update.ship_type.filter(|&code| code != 0) {
        vessel.ship_type = Some(ship_type);
    }
}
