// The map: the offline Natural Earth basemap, the party's own operations, others' released
// parts, conflict overlap regions by severity, published zones and protected sites (convoys
// moving along their routes), and live tracks on a canvas renderer.
// Every drawn volume carries its time window and altitude band so the filters can hide it.

import {
  SEVERITY_COLOUR, SEVERITY_SYMBOL, OWN_COLOUR, OTHER_COLOUR, OWN_TRACK_COLOUR,
  SITE_COLOUR, SITE_INK, SITE_SYMBOL,
  SEVERITY_RANK, band, esc, fl, isResolved, km, scheduleText, shortId, siteKind, utc, utcWindow, windowStatus,
} from './format.js';
import { LABEL_PRIORITY, declutter, labelClass } from './labels.js';
import { CITY_POPULATION, placePriority, placesInView } from './places.js';

const L = window.L;
/** The eastern Mediterranean: Cyprus, the Levant and western Syria. */
const HOME_CENTRE = [35.0, 36.4];
const HOME_ZOOM = 7;
/** From this zoom on the 1:10m basemap replaces the 1:50m one. */
const FINE_ZOOM = 6;
/** The 1:10m region the worker is asked for: the view and this much of it again on each side
 *  (so panning a little needs no new region), at least this many degrees each way. */
const FINE_REGION_PAD = 1;
const FINE_REGION_MIN_DEG = 4;
/** Places are looked for in the view and this much of it again on each side. */
const PLACES_PAD = 0.25;
/** Land is near-white, the sea (the map's background, style.css) a muted grey-blue: clearly
 *  apart, and neither close to a severity colour or the own-plan blue. */
const LAND_COLOUR = '#fcfbf6';
const COAST_COLOUR = '#56707f';
const BORDER_COLOUR = '#8c8c8c';
/** Above this many tracks, their labels show on hover only (each label is a DOM element). */
const LABELLED_TRACKS_MAX = 300;
/** The look-ahead of SPEC §7 when no agreement in force sets another: the heading vector shows
 *  where each track will be at the end of it. */
const DEFAULT_LOOKAHEAD_S = 300;
/** The ships' look-ahead of SPEC §7 (amended): a ship's heading vector is this long. */
const DEFAULT_SEA_LOOKAHEAD_S = 1200;
/** Metres per second in a knot: ships' speeds are read in knots. */
const KNOT_MPS = 1852 / 3600;
/** A site's name in its map label is cut after this many characters (the popup has it whole). */
const SITE_LABEL_CHARS = 28;

export class OperationsMap {
  constructor(element) {
    this.map = L.map(element, { zoomControl: true, worldCopyJump: true, attributionControl: true, zoomSnap: 0.25 })
      .setView(HOME_CENTRE, HOME_ZOOM);
    this.map.attributionControl.setPrefix('Leaflet');
    this.map.attributionControl.addAttribution('Basemap: Natural Earth (public domain) via world-atlas');
    this.map.attributionControl.addAttribution('Places: GeoNames (CC BY 4.0)');
    // Tracks and alert markers above the plans, on one canvas (thousands of tracks stay smooth).
    this.map.createPane('tracks').style.zIndex = 450;
    this.trackRenderer = L.canvas({ padding: 0.2, pane: 'tracks' });
    // Protected sites above the plans' fills (a buffer stays visible inside an operation).
    this.map.createPane('sites').style.zIndex = 420;
    this.layers = {
      zones: L.layerGroup().addTo(this.map),
      sites: L.layerGroup().addTo(this.map),
      own: L.layerGroup().addTo(this.map),
      released: L.layerGroup().addTo(this.map),
      conflicts: L.layerGroup().addTo(this.map),
      tracks: L.layerGroup().addTo(this.map),
    };
    /** Drawn volumes with their filter keys: { layer, group, t0, t1, lo, hi }. */
    this.volumes = [];
    /** Map bounds per alert id, for zooming to an alert. */
    this.alertBounds = new Map();
    this.filter = { time: null, loM: -Infinity, hiM: Infinity };
    this.addLegend();
    L.control.scale({ imperial: false, position: 'bottomright' }).addTo(this.map);
    // The current view, readable by tests and tools: "lat,lng,zoom", and the bounds
    // "south,west,north,east".
    const showView = () => {
      const c = this.map.getCenter();
      element.dataset.view = `${c.lat.toFixed(4)},${c.lng.toFixed(4)},${this.map.getZoom()}`;
      const b = this.map.getBounds();
      element.dataset.bounds = [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()].map((x) => x.toFixed(4)).join(',');
    };
    this.map.on('moveend', showView);
    showView();
    // Labels are placed again whenever the view or what is drawn changes (web/labels.js).
    this.map.on('zoomend moveend', () => this.scheduleDeclutter());
    /** Zones and sites by owner, for the first view (own zones and sites are in it). */
    this.zoneBounds = [];
    this.fitted = false;
    // A view named in the address (#map=ZOOM/LAT/LON, as on other web maps) is shown when the
    // address changes, and instead of the fitted first view: a view can be linked to.
    window.addEventListener('hashchange', () => this.showLinkedView());
  }

  /** Shows the view the address names (#map=ZOOM/LAT/LON); false if it names none. */
  showLinkedView() {
    const match = /^#map=(\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)\/(-?\d+(?:\.\d+)?)$/.exec(window.location.hash);
    if (!match) return false;
    const [zoom, lat, lon] = match.slice(1).map(Number);
    this.map.setView([lat, lon], zoom, { animate: false });
    return true;
  }

  /** Places the labels in the next animation frame (once for a burst of redraws). */
  scheduleDeclutter() {
    if (this.declutterPending) return;
    this.declutterPending = true;
    requestAnimationFrame(() => {
      this.declutterPending = false;
      const container = this.map.getContainer();
      const selected = this.selectedAlert ? alertClass(this.selectedAlert) : null;
      for (const label of container.querySelectorAll('.lbl')) {
        label.classList.toggle('lbl-selected', Boolean(selected) && label.classList.contains(selected));
      }
      const started = performance.now();
      const { shown, hidden } = declutter(container);
      performance.measure('deconflict:declutter', { start: started });
      container.dataset.labels = `${shown} shown, ${hidden} hidden`;
    });
  }

  /** A label hidden by the declutter shows while the pointer is over its shape. */
  hoverLabel(layer, tooltip = () => layer.getTooltip()) {
    layer.on('mouseover', () => {
      tooltip()?.getElement()?.classList.add('lbl-hover');
      this.scheduleDeclutter();
    });
    layer.on('mouseout', () => {
      tooltip()?.getElement()?.classList.remove('lbl-hover');
      this.scheduleDeclutter();
    });
    return layer;
  }

  /**
   * The first view, once: it fits the signed-in party's own operations, its open alerts
   * (overlap regions drawn, and `positions` [lon, lat] of the others: tracks, sites, entries)
   * and the zones and protected sites it published. With none of these, the home view stays.
   */
  fitFirstView(party, positions = []) {
    if (this.fitted) return;
    if (this.showLinkedView()) {
      this.fitted = true;
      this.map.getContainer().dataset.fitted = 'link';
      return;
    }
    const bounds = L.latLngBounds([]);
    for (const v of this.volumes) if (v.group === this.layers.own && v.bounds) bounds.extend(v.bounds);
    for (const b of this.alertBounds.values()) bounds.extend(b);
    for (const z of this.zoneBounds) if (z.owner === party) bounds.extend(z.bounds);
    for (const drawn of this.sites?.values() || []) {
      if (drawn.site.owner !== party) continue;
      const g = drawn.site.geometry;
      const points = g.type === 'Point' ? [g.coordinates] : g.type === 'Polygon' ? g.coordinates[0] : g.coordinates;
      for (const [lon, lat] of points) bounds.extend(circleBounds([lon, lat], drawn.site.buffer_m || 0));
    }
    for (const position of positions) if (position) bounds.extend([position[1], position[0]]);
    this.fitted = true;
    // Readable by tests and tools: "own" when fitted to the party's own, "home" when it has none.
    this.map.getContainer().dataset.fitted = bounds.isValid() ? 'own' : 'home';
    if (!bounds.isValid()) return;
    // Room on the left for the zoom buttons and at the top for the folded legend.
    this.map.fitBounds(bounds, { maxZoom: 9, paddingTopLeft: [48, 36], paddingBottomRight: [16, 16], animate: false });
  }

  /**
   * Loads the vendored Natural Earth countries (TopoJSON) and draws them under everything else:
   * land filled, coastlines solid and borders dashed, so sea, coast and border read apart. The
   * 1:50m set is drawn first and below FINE_ZOOM; from FINE_ZOOM on, the 1:10m set (coasts and
   * borders good at about 1:250,000) replaces it where loadFineBasemap() has a region for the
   * view.
   */
  async loadBasemap() {
    this.map.createPane('basemap').style.zIndex = 200;
    const coarse = await basemapLayer('countries-50m.json');
    this.basemap = { coarse, fine: null, shown: null };
    const show = () => {
      const fine = this.basemap.fine;
      const covered = fine && this.map.getZoom() >= FINE_ZOOM && fine.covers.contains(this.map.getBounds());
      const wanted = covered ? fine.layer : this.basemap.coarse;
      if (wanted !== this.basemap.shown) {
        this.basemap.shown?.remove();
        wanted.addTo(this.map);
        this.basemap.shown = wanted;
      }
      this.map.getContainer().dataset.basemap = covered ? '10m' : '50m';
      if (this.fineWorker && this.map.getZoom() >= FINE_ZOOM) this.requestFineRegion();
    };
    this.showBasemap = show;
    show();
    this.map.on('moveend', show);
  }

  /**
   * The 1:10m basemap, from the basemap worker (web/basemap-worker.js): it parses the 3.6 MB
   * world once, off the main thread, and sends the region around the view, thinned to the zoom;
   * the page builds only that. The page calls this once the plans and alerts are drawn.
   */
  async loadFineBasemap() {
    await this.basemapReady;
    this.fineWorker = new Worker('/ui/basemap-worker.js', { type: 'module' });
    this.fineWorker.onmessage = ({ data }) => this.receiveFineRegion(data);
    this.fineRequest = { id: 0, pending: null };
    this.showBasemap();
  }

  /** Asks the worker for a region around the view, unless the one drawn or asked for does. */
  requestFineRegion() {
    const zoom = Math.round(this.map.getZoom());
    const view = this.map.getBounds();
    const enough = (region) => region && region.covers.contains(view) && region.zoom >= zoom - 1 && region.zoom <= zoom + 1;
    if (enough(this.basemap.fine) || enough(this.fineRequest.pending)) return;
    const c = view.getCenter();
    const halfLat = Math.max(FINE_REGION_MIN_DEG, (view.getNorth() - view.getSouth()) * (0.5 + FINE_REGION_PAD));
    const halfLon = Math.max(FINE_REGION_MIN_DEG, (view.getEast() - view.getWest()) * (0.5 + FINE_REGION_PAD));
    // Whole degrees, so that a request names a region and not a pixel.
    const box = [
      Math.max(-180, Math.floor(c.lng - halfLon)), Math.max(-90, Math.floor(c.lat - halfLat)),
      Math.min(180, Math.ceil(c.lng + halfLon)), Math.min(90, Math.ceil(c.lat + halfLat)),
    ];
    this.fineRequest.id += 1;
    this.fineRequest.pending = { id: this.fineRequest.id, zoom, covers: L.latLngBounds([box[1], box[0]], [box[3], box[2]]) };
    this.fineWorker.postMessage({ id: this.fineRequest.id, file: 'countries-10m.json', box, zoom });
  }

  /** A region from the worker: drawn if it is the latest asked for. */
  receiveFineRegion(data) {
    if (data.error) {
      console.error('basemap 10m', data.error);
      this.fineRequest.pending = null;
      return;
    }
    if (data.id !== this.fineRequest.pending?.id) return;
    const { covers, zoom } = this.fineRequest.pending;
    this.fineRequest.pending = null;
    const started = performance.now();
    const pane = 'basemap';
    const layer = L.layerGroup([
      L.geoJSON({ type: 'MultiPolygon', coordinates: data.land }, {
        pane, interactive: false, style: { stroke: false, fillColor: LAND_COLOUR, fillOpacity: 1 },
      }),
      L.geoJSON({ type: 'MultiLineString', coordinates: data.coast }, {
        pane, interactive: false, style: { color: COAST_COLOUR, weight: 1.1, opacity: 1 },
      }),
      L.geoJSON({ type: 'MultiLineString', coordinates: data.borders }, {
        pane, interactive: false, style: { color: BORDER_COLOUR, weight: 1, dashArray: '5 3', opacity: 1 },
      }),
    ]);
    if (this.basemap.shown === this.basemap.fine?.layer) {
      this.basemap.shown?.remove();
      this.basemap.shown = null;
    }
    this.basemap.fine = { layer, covers, zoom };
    this.showBasemap();
    // Readable by benches and tools: the time the page spent on the region it was sent.
    performance.measure('deconflict:fine-region', { start: started });
  }

  /** Loads the vendored populated places (web/places.js) and shows those in view: the page
   *  calls this once the plans and alerts are drawn (0.9 MB to parse, and more labels). */
  async loadPlaces() {
    this.map.createPane('places').style.zIndex = 250;
    const data = await (await fetch('/ui/vendor/places/places.json')).json();
    this.places = { list: data.places, markers: new Map() };
    this.map.on('moveend', () => this.showPlaces());
    this.showPlaces();
  }

  /**
   * Puts on the map the places for this view and zoom and takes off the others; labels are
   * placed again only when that changed something.
   */
  showPlaces() {
    const started = performance.now();
    const { list, markers } = this.places;
    const b = this.map.getBounds().pad(PLACES_PAD);
    const wanted = placesInView(list, [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()], this.map.getZoom());
    const keys = new Set(wanted.map(([index, lon]) => `${index}@${lon}`));
    let changed = false;
    for (const [key, marker] of markers) {
      if (keys.has(key)) continue;
      marker.remove();
      markers.delete(key);
      changed = true;
    }
    for (const [index, lon] of wanted) {
      const key = `${index}@${lon}`;
      if (markers.has(key)) continue;
      const [name, , lat, population] = list[index];
      const kind = population >= CITY_POPULATION ? 'place-city' : 'place-town';
      const icon = L.divIcon({
        className: `place-label ${kind} ${labelClass(placePriority(population))}`,
        html: `<span class="place-dot">●</span> ${esc(name)}`, iconSize: null, iconAnchor: [4, 8],
      });
      markers.set(key, L.marker([lat, lon], { icon, pane: 'places', interactive: false, keyboard: false }).addTo(this.map));
      changed = true;
    }
    this.map.getContainer().dataset.places = String(markers.size);
    if (changed) this.scheduleDeclutter();
    performance.measure('deconflict:places', { start: started });
  }

  addLegend() {
    const legend = L.control({ position: 'topright' });
    legend.onAdd = () => {
      const div = L.DomUtil.create('div', 'legend');
      const sev = (name) => `<div><span class="sw" style="border:1px solid #000;background:${SEVERITY_COLOUR[name]}"></span>${SEVERITY_SYMBOL[name]} ${name.toUpperCase()} conflict</div>`;
      // Folded at first, so that it never covers the map on first view: a click on "Legend"
      // (or Enter on it, it is a <summary>) opens it; the same again folds it away.
      div.innerHTML = '<details><summary title="What the colours and shapes mean">Legend</summary>'
        + `<div><span class="sw" style="border-color:${OWN_COLOUR};background:${OWN_COLOUR}20"></span>your operations</div>`
        + `<div><span class="sw" style="border-color:${OTHER_COLOUR};border-style:dashed"></span>others' operations released in full</div>`
        + '<div><b>Conflicts</b> (open ones): the part of the other\'s plan within separation of yours</div>'
        + sev('warning') + sev('caution') + sev('advisory')
        + `<div><span style="color:${OWN_TRACK_COLOUR}">●—</span> your tracks (line: where it will be at the end of the look-ahead, <span class="lookahead">${Math.round((this.lookaheadS ?? DEFAULT_LOOKAHEAD_S) / 60)}</span> min), <span style="color:${OTHER_COLOUR}">●—</span> others' released</div>`
        + `<div>${shipSvg(OWN_TRACK_COLOUR, 0, false, 14)} ships (AIS; pointing along the heading, line: the sea look-ahead, <span class="sea-lookahead">${Math.round((this.seaLookaheadS ?? DEFAULT_SEA_LOOKAHEAD_S) / 60)}</span> min); between two ships in conflict, the closest point of approach (CPA): where each will be, joined</div>`
        + `<div><span style="color:${SEVERITY_COLOUR.caution}">◯</span> ring: a track off its plan, in a zone or a buffer (dashed: a convoy as an operation nears)</div>`
        + '<div><span class="sw" style="border:1px dashed #333;background:#5551"></span>zone (published, public): name · HARD or ADVISORY; click for its rules</div>'
        + `<div><span class="sw" style="border:1px solid ${SITE_INK};background:${SITE_COLOUR}"></span>protected site (public): ${SITE_SYMBOL.hospital} HOSPITAL, `
        + `${SITE_SYMBOL.convoy} CONVOY where expected now…; circle: its buffer</div>`
        + '</details>';
      L.DomEvent.disableClickPropagation(div);
      this.legend = div;
      return div;
    };
    legend.addTo(this.map);
  }

  /**
   * Zones (GET /v1/zones, public): hatched-grey outlines labelled with their name, owner,
   * enforcement and rules in words, so a zone is never told by colour alone.
   */
  drawZones(zones) {
    this.layers.zones.clearLayers();
    this.zoneBounds = [];
    for (const zone of zones) {
      const hard = zone.enforcement === 'hard';
      const layer = footprintLayer(zone.footprint, {
        color: '#333333', weight: hard ? 2.5 : 1.5, dashArray: hard ? null : '2 6',
        fillColor: '#555555', fillOpacity: 0.06, interactive: true,
      });
      const rules = zone.rules.map(ruleText).join('; ');
      layer.bindTooltip(`ZONE ${esc(zone.name)} · ${esc(zone.enforcement.toUpperCase())}`, {
        permanent: true, direction: 'center', className: `zone-label ${labelClass(LABEL_PRIORITY.zone)}`, interactive: false,
      });
      this.hoverLabel(layer);
      this.zoneBounds.push({ owner: zone.owner, bounds: footprintBounds(zone.footprint) });
      layer.bindPopup(`<div class="popup"><b>Zone ${esc(zone.name)}</b> (${esc(zone.id)}), published by ${esc(zone.owner)}<br>`
        + `${esc(zone.enforcement)}: ${esc(rules)}<br>${band(zone.altitude_lower_m, zone.altitude_upper_m)}`
        + `${zone.schedule && (zone.schedule.windows?.length || zone.schedule.weekly?.length) ? '<br>in effect on a schedule (UTC)' : '<br>always in effect'}</div>`);
      this.layers.zones.addLayer(layer);
    }
    this.scheduleDeclutter();
  }

  /**
   * Protected sites (GET /v1/sites, public): yellow edged in black, labelled with the kind in
   * words and a symbol. A point is a marker in its buffer circle, a polygon its outline; a
   * convoy is its route with a marker and buffer at its expected position, moved by
   * moveConvoys(). Redrawn only when a site changed, so an open popup stays open.
   */
  drawSites(sites) {
    const key = JSON.stringify(sites.map((s) => [s.owner, s.id, s.version, s.updated_at]));
    if (key === this.sitesKey) return;
    this.sitesKey = key;
    this.layers.sites.clearLayers();
    this.sites = new Map();
    this.convoys = [];
    const area = { pane: 'sites', color: SITE_INK, weight: 1.5, fillColor: SITE_COLOUR, fillOpacity: 0.4 };
    // An opened popup pans clear of the legend (the controls stay above the map's panes).
    const popupOptions = { autoPanPaddingTopLeft: [20, (this.legend?.offsetHeight || 0) + 20] };
    for (const site of sites) {
      const label = siteLabel(site);
      const popup = () => L.popup(popupOptions).setContent(() => sitePopup(site, this.filter.time));
      const tooltip = { permanent: true, direction: 'right', offset: [9, 0], className: `site-label ${labelClass(LABEL_PRIORITY.site)}`, interactive: false };
      const g = site.geometry;
      const drawn = { site };
      if (g.type === 'Point') {
        const at = [g.coordinates[1], g.coordinates[0]];
        const buffer = L.circle(at, { ...area, radius: site.buffer_m }).bindPopup(popup());
        const marker = siteMarker(site, at).bindPopup(popup()).bindTooltip(label, tooltip);
        this.hoverLabel(marker);
        this.hoverLabel(buffer, () => marker.getTooltip());
        this.layers.sites.addLayer(L.layerGroup([buffer, marker]));
        drawn.position = g.coordinates;
      } else if (g.type === 'Polygon') {
        const outline = L.geoJSON(g, { pane: 'sites', style: { ...area, weight: 2.5, fillOpacity: 0.3 } }).bindPopup(popup());
        outline.bindTooltip(label, { ...tooltip, direction: 'center', offset: [0, 0] });
        this.hoverLabel(outline);
        this.layers.sites.addLayer(outline);
        const centre = outline.getBounds().getCenter();
        drawn.position = [centre.lng, centre.lat];
      } else if (g.type === 'LineString') {
        const route = g.coordinates.map(([lon, lat]) => [lat, lon]);
        // A black casing under a dashed yellow line: a road, unlike a track's thin line.
        const casing = L.polyline(route, { pane: 'sites', color: SITE_INK, weight: 6, opacity: 0.85 }).bindPopup(popup());
        const road = L.polyline(route, { pane: 'sites', color: SITE_COLOUR, weight: 3, dashArray: '8 6', interactive: false });
        casing.bindTooltip(`route of ${label}`, { sticky: true, className: 'site-label' });
        const convoy = { site, legs: routeLegs(g.coordinates) };
        const [lon, lat] = convoyAt(convoy, this.convoyTime()).position;
        const at = [lat, lon];
        convoy.buffer = L.circle(at, { ...area, radius: site.buffer_m, interactive: false });
        convoy.marker = siteMarker(site, at).bindPopup(popup()).bindTooltip(label, tooltip);
        this.hoverLabel(convoy.marker);
        this.layers.sites.addLayer(L.layerGroup([casing, road, convoy.buffer, convoy.marker]));
        this.convoys.push(convoy);
        drawn.convoy = convoy;
      }
      this.sites.set(site.id, drawn);
    }
    this.moveConvoys();
    this.scheduleDeclutter();
  }

  /** Where the convoys are drawn: at the time filter's time if one is set, else now. */
  convoyTime() {
    return this.filter.time ?? Date.now();
  }

  /** Moves each convoy (and its buffer) to its expected position, its arrow along the road. */
  moveConvoys() {
    const t = this.convoyTime();
    for (const convoy of this.convoys || []) {
      const { position, bearing } = convoyAt(convoy, t);
      const at = [position[1], position[0]];
      convoy.marker.setLatLng(at);
      convoy.buffer.setLatLng(at);
      const glyph = convoy.marker.getElement()?.querySelector('.glyph');
      // ➤ points east; the map is conformal, so the road's bearing is its angle on screen.
      if (glyph) glyph.style.transform = `rotate(${(bearing - 90).toFixed(1)}deg)`;
    }
    // A moving convoy's label may now meet another.
    if (this.convoys?.length) this.scheduleDeclutter();
  }

  /** A site's [lon, lat] (a convoy's where it is drawn now), or null if it is not drawn. */
  sitePosition(id) {
    const drawn = this.sites?.get(id);
    if (!drawn) return null;
    return drawn.convoy ? convoyAt(drawn.convoy, this.convoyTime()).position : drawn.position;
  }

  /**
   * Redraws the plans: `view` is GET /v1/operations, `alerts` the open alerts, `resolved` holds
   * the ids of resolved alerts and `ids` every alert id in view (for the short ids on labels). The map shows the present: a
   * resolved alert's overlap region is not drawn at all (the server lists only open conflicts;
   * this also holds when the two reads straddle a resolution). Its history is in the inbox.
   */
  drawPlans(view, alerts, party, resolved = new Set(), ids = []) {
    const byId = new Map(alerts.map((a) => [a.id, a]));
    for (const group of [this.layers.own, this.layers.released, this.layers.conflicts]) group.clearLayers();
    this.volumes = [];
    this.alertBounds = new Map();
    /** Map bounds per own operation id, for zooming to it from the timeline. */
    this.operationBounds = new Map();
    for (const operation of view.operations) {
      operation.volumes.forEach((volume, index) => {
        const layer = footprintLayer(volume.footprint, {
          color: OWN_COLOUR, weight: 2, fillColor: OWN_COLOUR, fillOpacity: 0.08,
        });
        layer.bindPopup(operationPopup(party, operation, volume, index, true));
        // The callsign sits on the footprint's northern edge, clear of what is inside it.
        const label = L.tooltip({ permanent: true, direction: 'top', className: `op-label ${labelClass(LABEL_PRIORITY.operation)}`, interactive: false })
          .setLatLng(northernEdge(volume.footprint))
          .setContent(esc(operation.callsign || operation.id));
        this.hoverLabel(layer, () => label);
        const bounds = footprintBounds(volume.footprint);
        this.register(L.layerGroup([layer, label]), this.layers.own, volume, bounds);
        const known = this.operationBounds.get(operation.id);
        this.operationBounds.set(operation.id, known ? L.latLngBounds(known.getSouthWest(), known.getNorthEast()).extend(bounds) : bounds);
      });
    }
    for (const operation of view.released || []) {
      for (const [index, volume] of operation.volumes.entries()) {
        const layer = footprintLayer(volume.footprint, {
          color: OTHER_COLOUR, weight: 2, dashArray: '6 4', fillColor: OTHER_COLOUR, fillOpacity: 0.06,
        });
        layer.bindTooltip(`${esc(operation.party)}: ${esc(operation.callsign || operation.id)}`, { sticky: true });
        layer.bindPopup(operationPopup(operation.party, operation, volume, index, false));
        this.register(layer, this.layers.released, volume);
      }
    }
    // Conflict regions: one per alert and overlap, from our side (own conflicts) and the
    // other's released overlap (`others`, the same region under conflicts_only).
    const drawn = new Set();
    const overlaps = [];
    for (const operation of view.operations) {
      for (const conflict of operation.conflicts || []) {
        overlaps.push({ alertId: conflict.alert_id, party: conflict.other_party, overlap: conflict.overlap, own: operation, rightOfWay: conflict.right_of_way });
      }
    }
    for (const other of view.others || []) {
      for (const overlap of other.overlaps) overlaps.push({ alertId: other.alert_id, party: other.party, overlap });
    }
    for (const item of overlaps) {
      if (!item.overlap || !item.overlap.region || resolved.has(item.alertId)) continue;
      const key = `${item.alertId}|${JSON.stringify(item.overlap.region.coordinates[0]?.[0]?.[0])}`;
      if (drawn.has(key)) continue;
      drawn.add(key);
      // A conflict whose alert this party is not shown (e.g. withheld across a frozen
      // channel) is drawn grey and says so, rather than guessing a severity.
      const alert = byId.get(item.alertId);
      const severity = alert?.severity;
      const colour = severity ? SEVERITY_COLOUR[severity] : '#9a9a9a';
      const layer = L.geoJSON(item.overlap.region, {
        style: { color: '#000', weight: 1.5, fillColor: colour, fillOpacity: 0.7, className: `conflict-region ${alertClass(item.alertId)}` },
      });
      item.own ||= ownOperation(view, alert, item.party);
      const priority = LABEL_PRIORITY.conflict + 10 * (SEVERITY_RANK[severity] ?? -1);
      // The label stands beside the region (its arrow pointing at it), not on it: the region,
      // and the tracks flying in it, stay visible.
      const bounds = layer.getBounds();
      const label = L.tooltip({
        permanent: true, direction: 'right', offset: [8, 0], interactive: false,
        className: `sev-label conflict-label sev-${severity || 'none'} ${alertClass(item.alertId)} ${labelClass(priority)}`,
      }).setLatLng([bounds.getCenter().lat, bounds.getEast()]).setContent(conflictLabel(item, severity, ids));
      this.hoverLabel(layer, () => label);
      layer.bindPopup(conflictPopup(item, severity));
      this.register(L.layerGroup([layer, label]), this.layers.conflicts, {
        time_start: item.overlap.time_start, time_end: item.overlap.time_end,
        altitude_lower_m: item.overlap.altitude_lower_m, altitude_upper_m: item.overlap.altitude_upper_m,
      });
      const known = this.alertBounds.get(item.alertId);
      this.alertBounds.set(item.alertId, known ? known.extend(bounds) : bounds);
    }
    this.applyFilter();
  }

  register(layer, group, volume, bounds = null) {
    this.volumes.push({
      layer, group, bounds,
      t0: Date.parse(volume.time_start), t1: Date.parse(volume.time_end),
      lo: volume.altitude_lower_m, hi: volume.altitude_upper_m,
    });
  }

  /** Shows only what is active at `time` (null: any time) and overlaps [loM, hiM]. */
  setFilter(filter) {
    this.filter = filter;
    this.applyFilter();
  }

  applyFilter() {
    const { time, loM, hiM } = this.filter;
    for (const v of this.volumes) {
      const visible = (time === null || (v.t0 <= time && time < v.t1)) && v.lo <= hiM && v.hi >= loM;
      if (visible && !v.group.hasLayer(v.layer)) v.group.addLayer(v.layer);
      if (!visible && v.group.hasLayer(v.layer)) v.group.removeLayer(v.layer);
    }
    this.applyTrackFilter();
    this.moveConvoys();
    this.scheduleDeclutter();
  }

  /** The time span of everything drawn, for the time slider. */
  timeSpan() {
    const times = this.volumes.flatMap((v) => [v.t0, v.t1]).filter(Number.isFinite);
    return times.length ? [Math.min(...times), Math.max(...times)] : null;
  }

  /** The look-ahead the heading vectors show: the longest of the agreements in force naming
   *  this party (detection uses each pair's own), or the default. */
  setLookahead(seconds, seaSeconds = DEFAULT_SEA_LOOKAHEAD_S) {
    this.lookaheadS = seconds;
    this.seaLookaheadS = seaSeconds;
    const shown = this.map.getContainer().querySelector('.legend .lookahead');
    if (shown) shown.textContent = String(Math.round(seconds / 60));
    const sea = this.map.getContainer().querySelector('.legend .sea-lookahead');
    if (sea) sea.textContent = String(Math.round(seaSeconds / 60));
  }

  /**
   * Updates live tracks (GET /v1/tracks): own in green, others' released in purple. Layers are
   * kept per track and moved, not rebuilt, so thousands of tracks update in one canvas frame.
   * Above LABELLED_TRACKS_MAX tracks the labels (DOM elements) show on hover only.
   */
  drawTracks(list, now = Date.now()) {
    this.tracks ||= new Map();
    const seen = new Set();
    const all = [
      ...(list.tracks || []).map((t) => ({ key: `own:${t.report.track_id}`, report: t.report, lost: t.lost, colour: OWN_TRACK_COLOUR,
        party: null, label: isShip(t.report) ? shipName(t.report) : `${fl(t.report.altitude_m)} ${t.report.callsign || t.report.track_id}` })),
      ...(list.others || []).map((t) => ({ key: `${t.party}:${t.report.track_id}`, report: t.report, lost: t.lost, colour: OTHER_COLOUR,
        party: t.party,
        label: isShip(t.report)
          ? `${shipName(t.report)} (${t.party})`
          : `${fl(t.report.altitude_m)}${t.report.callsign ? ` ${t.report.callsign}` : ''} (${t.party})` })),
    ];
    const permanent = all.length <= LABELLED_TRACKS_MAX;
    for (const track of all) {
      seen.add(track.key);
      const position = [track.report.lat_deg, track.report.lon_deg];
      const ship = isShip(track.report);
      const ahead = project(track.report, ship
        ? (this.seaLookaheadS ?? DEFAULT_SEA_LOOKAHEAD_S)
        : (this.lookaheadS ?? DEFAULT_LOOKAHEAD_S));
      let drawn = this.tracks.get(track.key);
      if (drawn && drawn.ship !== ship) {
        this.layers.tracks.removeLayer(drawn.dot);
        this.layers.tracks.removeLayer(drawn.vector);
        this.tracks.delete(track.key);
        drawn = null;
      }
      if (!drawn) {
        const style = { renderer: this.trackRenderer, pane: 'tracks', color: track.colour, weight: 2 };
        // A ship is a hull turned to its heading (a DOM marker: ships are few beside
        // aircraft), an aircraft a dot on the canvas.
        const dot = ship
          ? L.marker(position, { pane: 'tracks', icon: shipIcon(track.colour, track.report.track_deg, track.lost), keyboard: false })
          : L.circleMarker(position, { ...style, radius: 5, fillColor: track.colour, fillOpacity: 0.9 });
        drawn = {
          dot,
          ship,
          heading: Math.round(track.report.track_deg),
          vector: L.polyline([position, ahead], ship ? { ...style, dashArray: '2 4' } : style),
          label: null, permanent: null, visible: false,
        };
        drawn.dot.bindPopup(() => (drawn.ship
          ? shipPopup(drawn.report, drawn.text, drawn.lost, drawn.party)
          : trackPopup(drawn.report, drawn.text, drawn.lost)));
        this.hoverLabel(drawn.dot);
        this.tracks.set(track.key, drawn);
      } else {
        drawn.dot.setLatLng(position);
        drawn.vector.setLatLngs([position, ahead]);
        const heading = Math.round(track.report.track_deg);
        if (ship && (heading !== drawn.heading || drawn.lost !== track.lost)) {
          drawn.dot.setIcon(shipIcon(track.colour, heading, track.lost));
          drawn.heading = heading;
          drawn.permanent = null;
        }
      }
      if (drawn.permanent !== permanent || drawn.text !== track.label) {
        drawn.dot.unbindTooltip();
        drawn.dot.bindTooltip(esc(track.label), {
          permanent, direction: 'right', offset: [6, 0],
          className: `track-label${permanent ? ` ${labelClass(LABEL_PRIORITY.track)}` : ''}`,
        });
        drawn.permanent = permanent;
      }
      if (drawn.lost !== track.lost) {
        if (!ship) drawn.dot.setStyle({ opacity: track.lost ? 0.4 : 1, fillOpacity: track.lost ? 0.2 : 0.9 });
        drawn.vector.setStyle({ opacity: track.lost ? 0.4 : 1 });
      }
      Object.assign(drawn, { report: track.report, text: track.label, lost: track.lost, party: track.party });
    }
    for (const [key, drawn] of this.tracks) {
      if (seen.has(key)) continue;
      this.layers.tracks.removeLayer(drawn.dot);
      this.layers.tracks.removeLayer(drawn.vector);
      this.tracks.delete(key);
    }
    this.applyTrackFilter();
    if (permanent) this.scheduleDeclutter();
  }

  applyTrackFilter() {
    const { loM, hiM } = this.filter;
    for (const drawn of this.tracks?.values() || []) {
      const visible = drawn.report.altitude_m >= loM && drawn.report.altitude_m <= hiM;
      if (visible === drawn.visible) continue;
      drawn.visible = visible;
      for (const layer of [drawn.vector, drawn.dot]) {
        if (visible) this.layers.tracks.addLayer(layer);
        else this.layers.tracks.removeLayer(layer);
      }
    }
  }

  /**
   * Tactical conflicts as pair lines between the two tracks, labelled with the severity and the
   * time to loss of separation, where the other track is released (its id is in the alert and
   * its position in GET /v1/tracks); under `conflicts_only` only one's own side is known.
   * Resolved alerts are not drawn: a pair line is always a present danger.
   */
  drawPairLines(alerts, tracks, ids = []) {
    this.pairLines ||= L.layerGroup().addTo(this.map);
    this.pairLines.clearLayers();
    /** Where each drawn pair is (both tracks, and their CPA points), to zoom to its alert. */
    this.pairBounds = new Map();
    const where = new Map();
    for (const t of tracks.tracks || []) where.set(`own:${t.report.track_id}`, t.report);
    for (const t of tracks.others || []) where.set(`${t.party}:${t.report.track_id}`, t.report);
    for (const alert of alerts) {
      const t = alert.tactical;
      if (!t || !t.other_track || isResolved(alert)) continue;
      const a = where.get(`own:${t.own_track}`);
      const b = where.get(`${t.other_party}:${t.other_track}`);
      if (!a || !b) continue;
      const colour = SEVERITY_COLOUR[alert.severity];
      const line = L.polyline([[a.lat_deg, a.lon_deg], [b.lat_deg, b.lon_deg]], {
        renderer: this.trackRenderer, pane: 'tracks', color: colour, weight: 3, dashArray: '6 4',
      });
      const when = t.los_now ? 'LoS now' : `LoS in ${Math.max(0, Math.round(t.t_los_s))} s`;
      const own = a.callsign || t.own_track;
      // Between ships, above the line: a ship pair is short on screen, and a centred label
      // would hide both hulls (the CPA's label goes below).
      const ships = isShip(a) || isShip(b);
      line.bindTooltip(`${SEVERITY_SYMBOL[alert.severity]} ${alert.severity.toUpperCase()} · ${esc(when)} · ${esc(t.other_party)}`
        + `<br><span class="lbl-sub">${esc(own)} · ${esc(shortId(alert.id, ids))}</span>`, {
        permanent: true, direction: ships ? 'top' : 'center', offset: ships ? [0, -14] : [0, 0],
        className: `sev-label sev-${alert.severity} pair-label ${alertClass(alert.id)} ${labelClass(LABEL_PRIORITY.pair + 10 * SEVERITY_RANK[alert.severity])}`,
      });
      this.hoverLabel(line);
      this.pairLines.addLayer(line);
      this.pairBounds.set(alert.id, L.latLngBounds([[a.lat_deg, a.lon_deg], [b.lat_deg, b.lon_deg]]));
      if (isShip(a) || isShip(b)) this.drawCpa(alert, a, b);
    }
    // Ships whose other side is not released: one's own ship's way to its closest point.
    for (const alert of alerts) {
      const t = alert.tactical;
      if (!t || t.other_track || isResolved(alert)) continue;
      const a = where.get(`own:${t.own_track}`);
      if (a && isShip(a)) this.drawCpa(alert, a, null);
    }
    // Placed again only if there are (or were) pair labels: tracks redraw this every second.
    const count = this.pairLines.getLayers().length;
    if (count || this.pairLineCount) this.scheduleDeclutter();
    this.pairLineCount = count;
  }

  /**
   * The closest point of approach of a pair with a ship: where each track will be at the
   * alert's `t_cpa_s` (counted from its evaluation), a dashed way from each to that point, and
   * the CPA line between the two points labelled with the distance and when. `b` is `null`
   * when the other track is not released.
   */
  drawCpa(alert, a, b) {
    const t = alert.tactical;
    const now = Date.now();
    const remaining = Math.max(0, t.t_cpa_s - (now - Date.parse(t.evaluated_at)) / 1000);
    const colour = SEVERITY_COLOUR[alert.severity];
    const at = (report) => project(report, remaining + Math.max(0, (now - Date.parse(report.time)) / 1000));
    const ends = [a, b].filter(Boolean).map((report) => [report, at(report)]);
    for (const [report, point] of ends) {
      this.pairLines.addLayer(L.polyline([[report.lat_deg, report.lon_deg], point], {
        renderer: this.trackRenderer, pane: 'tracks', color: colour, weight: 1.5, dashArray: '1 5',
      }));
      this.pairLines.addLayer(L.circleMarker(point, {
        renderer: this.trackRenderer, pane: 'tracks', radius: 3, color: colour, weight: 2, fillColor: '#fff', fillOpacity: 1,
      }));
    }
    const points = ends.map(([, point]) => point);
    const bounds = this.pairBounds.get(alert.id) || L.latLngBounds([[a.lat_deg, a.lon_deg]]);
    for (const point of points) bounds.extend(point);
    this.pairBounds.set(alert.id, bounds);
    const line = L.polyline(points.length === 2 ? points : [points[0], points[0]], {
      renderer: this.trackRenderer, pane: 'tracks', color: colour, weight: 3,
    });
    const minutes = Math.round(remaining / 60);
    line.bindTooltip(`CPA ${esc(km(t.d_cpa_m))} in ${minutes} min`, {
      // Below the CPA point, clear of the pair line's label (centred on the same stretch).
      permanent: true, direction: 'bottom', offset: [0, 14],
      className: `track-label cpa-label ${alertClass(alert.id)} ${labelClass(LABEL_PRIORITY.pair)}`,
    });
    this.hoverLabel(line);
    this.pairLines.addLayer(line);
  }

  /**
   * Marks where each open non-conformance was seen, where a track entered a zone or a site's
   * buffer, and (dashed) where a convoy is expected when an operation comes near it, with the
   * severity written. Resolved alerts are not marked.
   */
  drawAlertMarkers(alerts) {
    this.alertMarkers ||= L.layerGroup().addTo(this.map);
    this.alertMarkers.clearLayers();
    for (const alert of alerts) {
      if (isResolved(alert)) continue;
      const rings = [];
      if (alert.nonconformance) rings.push([alert.nonconformance.position, 'non-conformance']);
      if (alert.track_zone_entry) rings.push([alert.track_zone_entry.position, 'track in zone']);
      if (alert.site?.position) rings.push([alert.site.position, `track near ${siteKind(alert.site.site_kind)}`]);
      for (const v of alert.site?.volumes || []) {
        if (v.site_position) rings.push([v.site_position, `convoy here ${utc(v.from)}`, true]);
      }
      const colour = SEVERITY_COLOUR[alert.severity];
      for (const [position, what, expected] of rings) {
        if (!position) continue;
        const marker = L.circleMarker([position[1], position[0]], {
          renderer: this.trackRenderer, pane: 'tracks', radius: 11, color: colour, weight: 3, fill: false,
          dashArray: expected ? '4 4' : null,
        });
        marker.bindTooltip(`${SEVERITY_SYMBOL[alert.severity]} ${alert.severity.toUpperCase()} ${esc(what)}`, {
          direction: 'bottom', offset: [0, 10], className: `sev-label sev-${alert.severity} ${alertClass(alert.id)}`,
        });
        this.alertMarkers.addLayer(marker);
      }
    }
  }

  /** Zooms to one of the party's own operations (all its volumes). */
  zoomToOperation(id) {
    const bounds = this.operationBounds?.get(id);
    if (bounds) this.map.flyToBounds(bounds.pad(0.2), { maxZoom: 10, duration: 0.6 });
  }

  /** Zooms to an alert: its drawn overlap regions, or `regions` (GeoJSON, e.g. a resolved
   *  conflict's, not drawn), or a given position (at `zoom`). */
  zoomToAlert(alertId, position, zoom = 10, regions = []) {
    // Its labels go above every other, so the selected alert is always named on the map.
    this.selectedAlert = alertId;
    this.scheduleDeclutter();
    const bounds = this.alertBounds.get(alertId) || this.pairBounds?.get(alertId)
      || (regions.length ? L.geoJSON(regions).getBounds() : null);
    if (bounds && bounds.isValid()) {
      this.map.flyToBounds(bounds.pad(0.6), { maxZoom: 10, duration: 0.6 });
    } else if (position) {
      this.map.flyTo([position[1], position[0]], zoom, { duration: 0.6 });
    }
  }
}

/** The own operation in a conflict seen from the other's side (`view.others`): the alert's
 *  conflict with that party names it; null if it does not. */
function ownOperation(view, alert, party) {
  const id = alert?.conflicts?.find((c) => c.other_party === party)?.own_operation ?? alert?.conflicts?.[0]?.own_operation;
  return view.operations.find((o) => o.id === id) || null;
}

/**
 * A conflict's label tells it apart from every other: "▲ WARNING · russia · 10:00–12:00Z" over
 * "EAGLE 1 · sc-bc6e": severity, the other party, the overlap's UTC window, the own callsign
 * and the alert's short id (as on its inbox card).
 */
function conflictLabel(item, severity, ids) {
  const o = item.overlap;
  const head = severity ? `${SEVERITY_SYMBOL[severity]} ${severity.toUpperCase()}` : 'CONFLICT (no alert shown)';
  const own = item.own ? esc(item.own.callsign || item.own.id) : '';
  return `${head} · ${esc(item.party)} · ${esc(utcWindow(o.time_start, o.time_end))}`
    + `<br><span class="lbl-sub">${own ? `${own} · ` : ''}${esc(shortId(item.alertId, ids))}</span>`;
}

/** The 1:50m countries of world-atlas in the basemap pane, filled and outlined in one layer
 *  (half the paths of coasts and borders apart: this set is on the sign-in's critical path).
 *  The 1:10m set tells coasts (solid) from borders (dashed): receiveFineRegion. */
async function basemapLayer(file) {
  const topology = await (await fetch(`/ui/vendor/world-atlas/${file}`)).json();
  return L.geoJSON(window.topojson.feature(topology, topology.objects.countries), {
    pane: 'basemap', interactive: false, style: { color: BORDER_COLOUR, weight: 0.8, fillColor: LAND_COLOUR, fillOpacity: 1 },
  });
}

/** A CSS class naming an alert on its drawn layers and labels (tests and tools find them by it). */
function alertClass(id) {
  return `alert-${String(id).replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function isShip(report) {
  return report.domain === 'sea';
}

/** A ship's label: its name, else its callsign, else its id (an MMSI for AIS). */
function shipName(report) {
  return report.vessel?.name || report.callsign || report.track_id;
}

/** A hull seen from above, bow up, turned to `heading` degrees. */
function shipSvg(colour, heading, lost, size = 20) {
  return `<svg class="ship-symbol" viewBox="-10 -10 20 20" width="${size}" height="${size}" aria-hidden="true"`
    + ` style="transform: rotate(${Math.round(heading)}deg); opacity: ${lost ? 0.4 : 1}">`
    + `<path d="M0,-9 C3.5,-5 4.5,-2 4.5,2 L4.5,8 L-4.5,8 L-4.5,2 C-4.5,-2 -3.5,-5 0,-9 Z" fill="${colour}" stroke="#111" stroke-width="1.2"/>`
    + '<circle cx="0" cy="1" r="1.6" fill="#fff"/></svg>';
}

function shipIcon(colour, heading, lost) {
  return L.divIcon({ className: 'ship-icon', html: shipSvg(colour, heading, lost), iconSize: [20, 20], iconAnchor: [10, 10] });
}

/** A ship's popup: its static data as its owner released it (name, callsign, size), then its motion. */
function shipPopup(report, label, lost, party) {
  const v = report.vessel || {};
  const rows = [
    ['name', v.name],
    ['callsign', report.callsign],
    ['length', v.length_m != null ? `${Math.round(v.length_m)} m` : null],
    ['beam', v.beam_m != null ? `${Math.round(v.beam_m)} m` : null],
    ['id', report.track_id],
    ['of', party],
  ].filter(([, value]) => value != null && value !== '');
  return `<div class="popup ship-popup"><h3>${esc(label)}</h3><table>`
    + rows.map(([k, value]) => `<tr><td>${k}</td><td>${esc(value)}</td></tr>`).join('')
    + `<tr><td>speed</td><td>${(report.ground_speed_mps / KNOT_MPS).toFixed(1)} kn, course ${Math.round(report.track_deg)}°</td></tr>`
    + `<tr><td>last report</td><td>${esc(utc(report.time))}${lost ? ' (lost)' : ''}</td></tr></table></div>`;
}

function trackPopup(report, label, lost) {
  return `<div class="popup"><b>${esc(label)}</b><br>${Math.round(report.ground_speed_mps)} m/s, track ${Math.round(report.track_deg)}°` +
    `<br>last report ${esc(utc(report.time))}${lost ? ' (lost)' : ''}</div>`;
}

/**
 * The [lon, lat] positions of a footprint's outline: the exterior ring of a Polygon (its holes
 * are inside it), of every polygon of a MultiPolygon, the position of a Point.
 */
function outlinePoints(footprint) {
  if (footprint.type === 'Point') return [footprint.coordinates];
  if (footprint.type === 'MultiPolygon') return footprint.coordinates.flatMap((polygon) => polygon[0]);
  return footprint.coordinates[0];
}

/** The middle of a footprint's northern edge, [lat, lon] (without a map: a circle's bounds need one). */
function northernEdge(footprint) {
  if (footprint.type === 'Circle') {
    return [footprint.center[1] + footprint.radius_m / 111320, footprint.center[0]];
  }
  const points = outlinePoints(footprint);
  const north = Math.max(...points.map((p) => p[1]));
  const lons = points.map((p) => p[0]);
  return [north, (Math.min(...lons) + Math.max(...lons)) / 2];
}

/** The [lat, lon] bounds of a circle of `radiusM` around [lon, lat] (no map needed). */
function circleBounds([lon, lat], radiusM) {
  const dLat = radiusM / 111320;
  const dLon = radiusM / (111320 * Math.max(0.01, Math.cos((lat * Math.PI) / 180)));
  return L.latLngBounds([lat - dLat, lon - dLon], [lat + dLat, lon + dLon]);
}

/** A footprint's (or zone's) bounds, without a map: a Leaflet circle's need one. */
function footprintBounds(footprint) {
  if (footprint.type === 'Circle') return circleBounds(footprint.center, footprint.radius_m);
  return L.latLngBounds(outlinePoints(footprint).map(([lon, lat]) => [lat, lon]));
}

/**
 * A footprint on the map: a circle as a Leaflet circle, a Point (a circle of radius 0) as a small
 * dot, a Polygon (holes and all) or MultiPolygon through Leaflet's GeoJSON layer.
 */
function footprintLayer(footprint, style) {
  if (footprint.type === 'Circle') {
    return L.circle([footprint.center[1], footprint.center[0]], { ...style, radius: footprint.radius_m });
  }
  if (footprint.type === 'Point') {
    return L.circleMarker([footprint.coordinates[1], footprint.coordinates[0]], { ...style, radius: 4 });
  }
  return L.geoJSON(footprint, { style });
}

/** "✚ HOSPITAL Al-Quds hospital, Aleppo": the symbol, the kind in words, the name (cut short). */
function siteLabel(site) {
  let name = site.name;
  if (name.length > SITE_LABEL_CHARS) {
    // Cut at the first comma or parenthesis if that leaves a name, else at a word.
    const clause = name.search(/,| \(/);
    const word = name.lastIndexOf(' ', SITE_LABEL_CHARS - 2);
    name = `${name.slice(0, clause >= 6 ? clause : word > 6 ? word : SITE_LABEL_CHARS - 2)} …`;
  }
  return `${SITE_SYMBOL[site.kind] || '■'} ${esc(siteKind(site.kind).toUpperCase())} ${esc(name)}`;
}

function siteMarker(site, at) {
  const convoy = site.kind === 'convoy';
  const icon = L.divIcon({
    className: `site-marker${convoy ? ' convoy' : ''}`,
    html: `<span class="glyph">${SITE_SYMBOL[site.kind] || '■'}</span>`,
    iconSize: convoy ? [20, 20] : [16, 16],
  });
  return L.marker(at, { icon, title: `${siteKind(site.kind)}: ${site.name}`, riseOnHover: true });
}

/** A site's popup; a convoy's expected position at `time` (the time filter's), or now if null. */
function sitePopup(site, time) {
  const now = Date.now();
  const t = time ?? now;
  const row = (name, value) => `<tr><td>${name}</td><td>${value}</td></tr>`;
  const rows = [
    row('kind', esc(siteKind(site.kind))),
    row('notified by', esc(site.owner)),
    row('buffer', `${km(site.buffer_m)}: keep clear`),
  ];
  const window = site.schedule?.windows?.[0];
  if (site.geometry.type === 'LineString') {
    const convoy = { site, legs: routeLegs(site.geometry.coordinates) };
    const { position, length } = convoyAt(convoy, t);
    if (window) {
      rows.push(row('on the road (UTC)', `${esc(utc(window.start, now))} – ${esc(utc(window.end, now))}<br>${esc(windowStatus(window.start, window.end, now))}`));
      const speed = length / ((Date.parse(window.end) - Date.parse(window.start)) / 1000);
      rows.push(row('route', `${km(length)}${Number.isFinite(speed) ? `, ${Math.round(speed * 3.6)} km/h` : ''}`));
    }
    const [lon, lat] = position;
    rows.push(row(`expected ${time === null || time === undefined ? 'now' : `at ${esc(utc(t, now))}`}`,
      `${Math.abs(lat).toFixed(3)}° ${lat < 0 ? 'S' : 'N'}, ${Math.abs(lon).toFixed(3)}° ${lon < 0 ? 'W' : 'E'}`));
  } else {
    rows.push(row('present (UTC)', esc(scheduleText(site.schedule, now))));
  }
  if (site.description) rows.push(row('note', esc(site.description)));
  return `<div class="popup"><h3>${SITE_SYMBOL[site.kind] || '■'} ${esc(site.name)}</h3><table>${rows.join('')}</table></div>`;
}

/** Great-circle distance (m) between two [lon, lat]: good enough to place a convoy on a map. */
function haversine(a, b) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  const dPhi = (b[1] - a[1]) * rad;
  const dLambda = (b[0] - a[0]) * rad;
  const h = Math.sin(dPhi / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLambda / 2) ** 2;
  return 2 * R * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Initial bearing (degrees from north) from a to b, both [lon, lat]. */
function bearing(a, b) {
  const rad = Math.PI / 180;
  const y = Math.sin((b[0] - a[0]) * rad) * Math.cos(b[1] * rad);
  const x = Math.cos(a[1] * rad) * Math.sin(b[1] * rad) - Math.sin(a[1] * rad) * Math.cos(b[1] * rad) * Math.cos((b[0] - a[0]) * rad);
  return (Math.atan2(y, x) / rad + 360) % 360;
}

/** A route's legs: [from, to, length m, bearing]. */
function routeLegs(points) {
  const legs = [];
  for (let i = 0; i + 1 < points.length; i++) {
    legs.push([points[i], points[i + 1], haversine(points[i], points[i + 1]), bearing(points[i], points[i + 1])]);
  }
  return legs;
}

/**
 * A convoy's expected [lon, lat] and heading at time t: uniform progress along its route over
 * its one window, at the start before it and at the end after it (as the server reckons it).
 */
function convoyAt(convoy, t) {
  const { site, legs } = convoy;
  const points = site.geometry.coordinates;
  const length = legs.reduce((sum, leg) => sum + leg[2], 0);
  if (!legs.length) return { position: points[0] || site.convoy_position, bearing: 90, length };
  const window = site.schedule?.windows?.[0];
  let progress = 0;
  if (window) {
    const t0 = Date.parse(window.start);
    const t1 = Date.parse(window.end);
    progress = t1 > t0 ? Math.min(1, Math.max(0, (t - t0) / (t1 - t0))) : Number(t >= t1);
  }
  let along = progress * length;
  for (const [index, [a, b, legLength, heading]] of legs.entries()) {
    if (along <= legLength || index === legs.length - 1) {
      const f = legLength > 0 ? Math.min(1, along / legLength) : 0;
      return { position: [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f], bearing: heading, length };
    }
    along -= legLength;
  }
  return { position: points[points.length - 1], bearing: 90, length };
}

/** A zone rule in words. */
function ruleText(rule) {
  if (rule.type === 'deny') {
    if (rule.all_except) return rule.parties.length ? `only ${rule.parties.join(', ')} may enter` : 'nobody may enter';
    return `${rule.parties.join(', ')} may not enter`;
  }
  if (rule.type === 'allow_only_missions') return `${rule.parties.join(', ')} may fly only ${rule.missions.join(', ')} missions`;
  return 'entries are reported to its owner';
}

/** Great-circle destination after `seconds` at the report's ground speed and track. */
function project(report, seconds) {
  const R = 6371008.8;
  const d = (report.ground_speed_mps * seconds) / R;
  const theta = (report.track_deg * Math.PI) / 180;
  const phi1 = (report.lat_deg * Math.PI) / 180;
  const lambda1 = (report.lon_deg * Math.PI) / 180;
  const phi2 = Math.asin(Math.sin(phi1) * Math.cos(d) + Math.cos(phi1) * Math.sin(d) * Math.cos(theta));
  const lambda2 = lambda1 + Math.atan2(Math.sin(theta) * Math.sin(d) * Math.cos(phi1), Math.cos(d) - Math.sin(phi1) * Math.sin(phi2));
  return [(phi2 * 180) / Math.PI, (lambda2 * 180) / Math.PI];
}

function operationPopup(party, operation, volume, index, own) {
  const now = Date.now();
  return `<div class="popup"><h3>${esc(operation.callsign || operation.id)}</h3><table>
    <tr><td>${own ? 'your operation' : 'operation of'}</td><td>${own ? esc(operation.id) : `${esc(party)}: ${esc(operation.id)}`}</td></tr>
    <tr><td>mission</td><td>${esc(operation.mission_type)} (${esc(operation.domain)}), ${esc(operation.state)}</td></tr>
    <tr><td>volume</td><td>${index + 1} of ${operation.volumes.length}</td></tr>
    <tr><td>altitude</td><td>${band(volume.altitude_lower_m, volume.altitude_upper_m)}</td></tr>
    <tr><td>time (UTC)</td><td>${esc(utc(volume.time_start, now))} – ${esc(utc(volume.time_end, now))}<br>${esc(windowStatus(volume.time_start, volume.time_end, now))}</td></tr>
  </table></div>`;
}

function conflictPopup(item, severity) {
  const o = item.overlap;
  const title = severity ? `${SEVERITY_SYMBOL[severity]} Conflict — ${severity.toUpperCase()}` : 'Conflict (its alert is not shown to you)';
  const now = Date.now();
  const own = item.own ? `<tr><td>your operation</td><td>${esc(item.own.callsign || '')} ${esc(item.own.id)}</td></tr>` : '';
  const row = item.rightOfWay ? `<tr><td>right of way</td><td>${esc(item.rightOfWay)}</td></tr>` : '';
  return `<div class="popup"><h3>${esc(title)}</h3><table>
    <tr><td>with</td><td>${esc(item.party)}</td></tr>${own}${row}
    <tr><td>overlap altitude</td><td>${band(o.altitude_lower_m, o.altitude_upper_m)}</td></tr>
    <tr><td>overlap time (UTC)</td><td>${esc(utc(o.time_start, now))} – ${esc(utc(o.time_end, now))}<br>${esc(windowStatus(o.time_start, o.time_end, now))}</td></tr>
    <tr><td>closest distance</td><td>${km(o.horizontal_distance_m)}</td></tr>
    <tr><td>alert</td><td>${esc(item.alertId)}</td></tr>
  </table></div>`;
}
