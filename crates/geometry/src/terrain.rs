//! Ground heights, for zone limits given above ground level (SPEC §4: "heights above ground use a
//! terrain model when one is configured, otherwise a conservative bound that never makes a zone
//! smaller than declared").
//!
//! A [`Terrain`] is a digital elevation model the operator supplies as a GeoTIFF (SRTM,
//! Copernicus DEM, ASTER GDEM, national models, … as GDAL writes them): one band of ground
//! heights above mean sea level in a geographic (longitude/latitude) grid, placed by the GeoTIFF
//! tie point and pixel scale. It is decoded with the `tiff` crate (image-rs's, the TIFF decoder
//! the Rust image ecosystem uses) from bytes the caller read: this module does no I/O.
//!
//! [`Terrain::ground_range`] is the lowest and highest ground over every cell that meets a
//! box, so a footprint's ground range (over its bounding box, which contains it) is never
//! narrower than the ground under it.
//!
//! Without a terrain model, the bundled grid of [`crate::ground`] bounds the ground anywhere;
//! [`EARTH_GROUND_MIN_M`] and [`EARTH_GROUND_MAX_M`] remain the bound of last resort.

use std::io::Cursor;

use tiff::decoder::{Decoder, DecodingResult, Limits};
use tiff::tags::Tag;

/// The lowest ground on land, metres above mean sea level: the shore of the Dead Sea.
pub const EARTH_GROUND_MIN_M: f64 = -431.0;
/// The highest ground, metres above mean sea level: the summit of Everest.
pub const EARTH_GROUND_MAX_M: f64 = 8_849.0;

/// Why a terrain file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TerrainError {
    #[error("not a readable TIFF: {0}")]
    Tiff(#[from] tiff::TiffError),
    #[error("not a GeoTIFF: {0} is missing")]
    MissingTag(&'static str),
    #[error("the raster is projected (GeoTIFF model type {0}); a geographic (longitude/latitude) DEM is needed")]
    NotGeographic(u16),
    #[error("the raster has {0} samples per pixel; a DEM has one band")]
    NotOneBand(u16),
    #[error("the raster's placement is invalid: {0}")]
    BadPlacement(String),
}

/// A ground-height grid: cell centres or corners per the GeoTIFF, heights in metres above MSL.
#[derive(Debug, Clone)]
pub struct Terrain {
    /// Longitude and latitude of the top-left corner of the top-left cell.
    west: f64,
    north: f64,
    /// Cell size in degrees (longitude, latitude), both positive.
    dx: f64,
    dy: f64,
    width: usize,
    height: usize,
    heights: Vec<f32>,
    nodata: Option<f32>,
}

/// The lowest and highest ground over an area, metres above mean sea level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroundRange {
    pub min_m: f64,
    pub max_m: f64,
}

impl Terrain {
    /// Decodes a single-band geographic GeoTIFF.
    pub fn from_geotiff(bytes: &[u8]) -> Result<Self, TerrainError> {
        let mut decoder = Decoder::new(Cursor::new(bytes))?.with_limits(Limits::unlimited());
        let samples = decoder
            .find_tag_unsigned::<u16>(Tag::SamplesPerPixel)?
            .unwrap_or(1);
        if samples != 1 {
            return Err(TerrainError::NotOneBand(samples));
        }
        if let Some(keys) = decoder.find_tag_unsigned_vec::<u16>(Tag::GeoKeyDirectoryTag)? {
            // Header of 4 shorts, then entries (key, location, count, value); 1024 is
            // GTModelTypeGeoKey, 2 ModelTypeGeographic.
            for entry in keys.get(4..).unwrap_or_default().chunks_exact(4) {
                if entry[0] == 1024 && entry[1] == 0 && entry[3] != 2 {
                    return Err(TerrainError::NotGeographic(entry[3]));
                }
            }
        }
        let scale = decoder
            .find_tag(Tag::ModelPixelScaleTag)?
            .ok_or(TerrainError::MissingTag("ModelPixelScaleTag"))?
            .into_f64_vec()?;
        let tie = decoder
            .find_tag(Tag::ModelTiepointTag)?
            .ok_or(TerrainError::MissingTag("ModelTiepointTag"))?
            .into_f64_vec()?;
        let nodata = decoder
            .find_tag(Tag::GdalNodata)?
            .map(|value| value.into_string())
            .transpose()?
            .and_then(|text| text.trim_matches(char::from(0)).trim().parse::<f32>().ok());
        let (width, height) = decoder.dimensions()?;
        let (width, height) = (width as usize, height as usize);
        if scale.len() < 2 || tie.len() < 6 {
            return Err(TerrainError::BadPlacement(
                "pixel scale or tie point too short".into(),
            ));
        }
        let (dx, dy) = (scale[0], scale[1]);
        // The tie point maps raster (i, j) to model (x, y): the corner of cell (0, 0) is at
        // x - i·dx, y + j·dy.
        let west = tie[3] - tie[0] * dx;
        let north = tie[4] + tie[1] * dy;
        let placed = dx > 0.0
            && dy > 0.0
            && dx.is_finite()
            && dy.is_finite()
            && west >= -180.0 - dx
            && west + dx * width as f64 <= 180.0 + dx
            && north <= 90.0 + dy
            && north - dy * height as f64 >= -90.0 - dy;
        if !placed {
            return Err(TerrainError::BadPlacement(format!(
                "cells of {dx}° × {dy}° from ({west}, {north}) do not lie within longitude ±180 and latitude ±90"
            )));
        }
        let heights: Vec<f32> = match decoder.read_image()? {
            DecodingResult::F32(v) => v,
            DecodingResult::F64(v) => v.into_iter().map(|h| h as f32).collect(),
            DecodingResult::I16(v) => v.into_iter().map(f32::from).collect(),
            DecodingResult::U16(v) => v.into_iter().map(f32::from).collect(),
            DecodingResult::I32(v) => v.into_iter().map(|h| h as f32).collect(),
            DecodingResult::U8(v) => v.into_iter().map(f32::from).collect(),
            DecodingResult::I8(v) => v.into_iter().map(f32::from).collect(),
            _ => {
                return Err(TerrainError::BadPlacement(
                    "unsupported sample type for heights".into(),
                ))
            }
        };
        if heights.len() != width * height {
            return Err(TerrainError::BadPlacement(format!(
                "{} samples for {width} × {height} cells",
                heights.len()
            )));
        }
        Ok(Self {
            west,
            north,
            dx,
            dy,
            width,
            height,
            heights,
            nodata,
        })
    }

    /// The ground range over every cell meeting the box `west..east` × `south..north`
    /// (degrees, `west <= east`), or `None` when the grid does not cover the whole box or has
    /// no data in part of it.
    pub fn ground_range(
        &self,
        west: f64,
        south: f64,
        east: f64,
        north: f64,
    ) -> Option<GroundRange> {
        let east_edge = self.west + self.dx * self.width as f64;
        let south_edge = self.north - self.dy * self.height as f64;
        if west < self.west || east > east_edge || north > self.north || south < south_edge {
            return None;
        }
        let column = |lon: f64| {
            (((lon - self.west) / self.dx).floor().max(0.0) as usize).min(self.width - 1)
        };
        let row = |lat: f64| {
            (((self.north - lat) / self.dy).floor().max(0.0) as usize).min(self.height - 1)
        };
        let (c0, c1) = (column(west), column(east));
        let (r0, r1) = (row(north), row(south));
        let mut range = GroundRange {
            min_m: f64::INFINITY,
            max_m: f64::NEG_INFINITY,
        };
        for r in r0..=r1 {
            for c in c0..=c1 {
                let h = self.heights[r * self.width + c];
                if !h.is_finite() || Some(h) == self.nodata {
                    return None;
                }
                range.min_m = range.min_m.min(f64::from(h));
                range.max_m = range.max_m.max(f64::from(h));
            }
        }
        Some(range)
    }
}

/// Writes a single-band geographic Float32 GeoTIFF as GDAL writes a DEM (pixel scale, tie
/// point, GeoKey directory: model type geographic, WGS 84; no-data -32768): for tests and for
/// operators who build a terrain file from other data.
pub fn write_geotiff(
    west: f64,
    north: f64,
    cell_deg: f64,
    width: u32,
    heights: &[f32],
) -> Result<Vec<u8>, TerrainError> {
    use tiff::encoder::{colortype, TiffEncoder};
    let height = heights.len() as u32 / width.max(1);
    let mut bytes = Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut bytes)?;
    let mut image = encoder.new_image::<colortype::Gray32Float>(width, height)?;
    let directory = image.encoder();
    directory.write_tag(Tag::ModelPixelScaleTag, &[cell_deg, cell_deg, 0.0][..])?;
    directory.write_tag(
        Tag::ModelTiepointTag,
        &[0.0, 0.0, 0.0, west, north, 0.0][..],
    )?;
    directory.write_tag(
        Tag::GeoKeyDirectoryTag,
        &[
            1u16, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326,
        ][..],
    )?;
    directory.write_tag(Tag::GdalNodata, "-32768")?;
    image.write_data(heights)?;
    Ok(bytes.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geotiff(west: f64, north: f64, cell: f64, width: u32, heights: &[f32]) -> Vec<u8> {
        write_geotiff(west, north, cell, width, heights).unwrap()
    }

    #[test]
    fn the_ground_range_covers_every_cell_the_box_meets() {
        // 4 × 3 cells of 0.01° from (7.40 E, 46.96 N).
        let heights = [
            500.0, 510.0, 520.0, 530.0, //
            540.0, 900.0, 560.0, 570.0, //
            580.0, 590.0, 600.0, 610.0,
        ];
        let terrain = Terrain::from_geotiff(&geotiff(7.40, 46.96, 0.01, 4, &heights)).unwrap();
        let range = terrain.ground_range(7.405, 46.935, 7.415, 46.945).unwrap();
        assert_eq!((range.min_m, range.max_m), (540.0, 900.0));
        let all = terrain.ground_range(7.40, 46.93, 7.44, 46.96).unwrap();
        assert_eq!((all.min_m, all.max_m), (500.0, 900.0));
        assert!(
            terrain.ground_range(7.39, 46.94, 7.41, 46.95).is_none(),
            "outside the grid"
        );
    }

    #[test]
    fn no_data_inside_the_box_gives_no_range() {
        let terrain =
            Terrain::from_geotiff(&geotiff(0.0, 1.0, 0.5, 2, &[1.0, -32768.0, 3.0, 4.0])).unwrap();
        assert!(terrain.ground_range(0.6, 0.6, 0.9, 0.9).is_none());
        assert_eq!(
            terrain
                .ground_range(0.1, 0.1, 0.4, 0.9)
                .map(|r| (r.min_m, r.max_m)),
            Some((1.0, 3.0))
        );
    }

    #[test]
    fn a_file_that_is_not_a_geotiff_is_refused() {
        assert!(matches!(
            Terrain::from_geotiff(b"not a tiff"),
            Err(TerrainError::Tiff(_))
        ));
    }
}
