// The deconflict operations picture: sign-in, then the map, the alert inbox and the hotline,
// kept current from the party's alert stream (every alert or message event refetches what
// changed) and by polling tracks once a second. It reads only the public /v1 API.

import { call, follow, storedToken, storeToken, forgetToken, ApiProblem } from './api.js';
import { OperationsMap } from './map.js';
import { renderInbox } from './inbox.js';
import { knownParties, frozenReason, latestThread, renderThreads, renderMessages } from './hotline.js';
import { Announcer } from './notify.js';
import { Timeline } from './timeline.js';
import { isResolved, relative, shortId, utc, windowStatus } from './format.js';

const $ = (id) => document.getElementById(id);
const TRACK_POLL_MS = 1000;
/** A safety net beside the stream: everything is refetched this often anyway. */
const FULL_REFRESH_MS = 15000;
/** How long after the first draw the 1:10m basemap is loaded. */
const FINE_BASEMAP_DELAY_MS = 1500;

const state = {
  me: null, operations: { operations: [], others: [], released: [] }, alerts: [], messages: [],
  agreements: [], tracks: { tracks: [], others: [] }, selectedAlert: null, thread: null,
  markedRead: new Set(),
  /** The thread was chosen (by the operator, or as the one with the latest message once the
   *  messages were read): it is not changed under the operator's hands any more. */
  threadChosen: false, messagesLoaded: false,
  /** The alert the message being written is about ({ kind: 'alert', id }), or null. */
  reference: null,
};
let map = null;
let announcer = null;
let timeline = null;
const COMPACT_KEY = 'deconflict.compact';

async function start() {
  $('signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    storeToken($('token').value.trim());
    $('token').value = '';
    await signIn();
  });
  $('signout').addEventListener('click', () => {
    forgetToken();
    location.reload();
  });
  if (storedToken()) await signIn();
  else showSignIn('');
}

function showSignIn(error) {
  $('app').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  $('token').focus();
}

async function signIn() {
  try {
    state.me = await call('/v1/parties/me');
  } catch (error) {
    forgetToken();
    showSignIn(error instanceof ApiProblem && error.status === 401 ? 'That token was not accepted.' : `Cannot sign in: ${error.message}`);
    return;
  }
  $('signin').hidden = true;
  $('app').hidden = false;
  $('party').textContent = `${state.me.name} (${state.me.id})`;
  announcer = new Announcer(`deconflict — ${state.me.id}`);
  map = new OperationsMap($('map'));
  map.basemapReady = map.loadBasemap().catch((error) => console.error('basemap', error));
  timeline = new Timeline($('timeline'), {
    onOperation: (id) => map.zoomToOperation(id),
    onAlert: (id) => {
      const alert = state.alerts.find((a) => a.id === id);
      if (alert) selectAlert(alert);
    },
    onTime: (t) => setFilterTime(t),
  });
  wireFilters();
  wireSendBox();
  wireToggles();
  follow(onStreamEvent, (s) => { $('live').textContent = `stream: ${s}`; });
  await Promise.all([refreshPlans(), refreshHotline(), refreshTracks()]);
  // Everything is drawn once: the first view fits this party's plans, alerts and zones.
  map.fitFirstView(state.me.id, state.alerts.filter((a) => !isResolved(a)).map(alertPosition));
  // The towns next, under the picture's labels: not on the way to the first reading either.
  map.loadPlaces().catch((error) => console.error('places', error));
  // The detailed basemap a moment after that: a worker parses it (3.6 MB) off the main thread,
  // which must not compete with the first reading of the conflicts for the two cores.
  setTimeout(() => map.loadFineBasemap().catch((error) => console.error('basemap 10m', error)), FINE_BASEMAP_DELAY_MS);
  setInterval(refreshTracks, TRACK_POLL_MS);
  setInterval(() => { refreshPlans(); refreshHotline(); }, FULL_REFRESH_MS);
  setInterval(tick, 1000);
  tick();
}

// ---- data --------------------------------------------------------------------------------

let pending = null;
/** Stream events are batched: one refetch for a burst. */
function onStreamEvent(name) {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    if (name === 'message') refreshHotline();
    else { refreshPlans(); refreshHotline(); }
  }, 150);
}

async function refreshPlans() {
  try {
    // Sites are drawn if they can be read; the plans do not wait on them.
    const sites = call('/v1/sites').catch((error) => { console.error('sites', error); return null; });
    const [operations, alerts, zones] = await Promise.all([call('/v1/operations'), call('/v1/alerts'), call('/v1/zones')]);
    state.operations = operations;
    state.alerts = alerts.alerts;
    announcer.alerts(state.alerts);
    map.drawZones(zones.zones);
    const published = await sites;
    if (published) map.drawSites(published.sites);
    // Only open alerts are drawn as current; a resolved one's region, pair line or marker is
    // not drawn at all (the map shows the present; the inbox's Recent list keeps the history).
    const current = state.alerts.filter((a) => !isResolved(a));
    const resolved = new Set(state.alerts.filter(isResolved).map((a) => a.id));
    map.drawPlans(operations, current, state.me.id, resolved, state.alerts.map((a) => a.id));
    map.drawAlertMarkers(current);
    map.drawPairLines(current, state.tracks, state.alerts.map((a) => a.id));
    drawInbox();
    drawHotline(); // the parties one can write to include those named in alerts
    updateTimeRange();
    const ids = state.alerts.map((a) => a.id);
    timeline.draw({ operations: operations.operations, alerts: current, span: state.span, short: (id) => shortId(id, ids) });
  } catch (error) {
    console.error('refresh plans', error);
  }
}

async function refreshHotline() {
  try {
    const [messages, agreements] = await Promise.all([allMessages(), call('/v1/agreements')]);
    state.messages = messages;
    state.messagesLoaded = true;
    announcer.messagesFrom(state.me.id, messages);
    state.agreements = agreements.agreements;
    const inForce = state.agreements.filter((a) => a.in_force && a.parties.includes(state.me.id));
    const lookaheads = inForce.map((a) => a.in_force.params.lookahead_s);
    const seaLookaheads = inForce.map((a) => a.in_force.params.sea?.lookahead_s ?? 1200);
    map.setLookahead(Math.max(300, ...lookaheads), Math.max(1200, ...seaLookaheads));
    drawHotline();
  } catch (error) {
    console.error('refresh hotline', error);
  }
}

async function allMessages() {
  const messages = [];
  let after = null;
  for (let page = 0; page < 20; page++) {
    const list = await call(`/v1/messages${after ? `?after=${encodeURIComponent(after)}` : ''}`);
    messages.push(...list.messages);
    if (!list.next_after) break;
    after = list.next_after;
  }
  return messages;
}

async function refreshTracks() {
  try {
    state.tracks = await call('/v1/tracks');
    // Timed with the User Timing API (e2e/bench-tracks.mjs reads these measures).
    performance.mark('tracks-draw-start');
    map.drawTracks(state.tracks);
    performance.measure('deconflict:draw-tracks', 'tracks-draw-start');
    map.drawPairLines((state.alerts || []).filter((a) => !isResolved(a)), state.tracks, state.alerts.map((a) => a.id));
    // Leaflet repaints the canvas in the next animation frame; this callback runs after it.
    requestAnimationFrame(() => performance.measure('deconflict:draw-tracks-painted', 'tracks-draw-start'));
  } catch (error) {
    console.error('refresh tracks', error);
  }
}

// ---- inbox -------------------------------------------------------------------------------

function drawInbox() {
  const lists = { list: $('alerts'), recentList: $('recent-alerts'), recentSummary: $('recent-summary') };
  const counts = renderInbox(lists, state.alerts, state.me.id, {
    selected: state.selectedAlert,
    onSelect: selectAlert,
    onMessage: (alert, party) => {
      if (!party) return;
      state.thread = party;
      state.threadChosen = true;
      state.reference = { kind: 'alert', id: alert.id };
      drawHotline();
      const text = $('send-text');
      const prefix = `Re alert ${shortId(alert.id, state.alerts.map((a) => a.id))}: `;
      if (!text.value.startsWith(prefix)) text.value = prefix + text.value.replace(/^Re alert \S+: /, '');
      text.focus();
      text.setSelectionRange(text.value.length, text.value.length);
    },
    onAcknowledge: async (alert) => {
      try {
        const updated = await call(`/v1/alerts/${encodeURIComponent(alert.id)}/ack`, { method: 'POST' });
        state.alerts = state.alerts.map((a) => (a.id === updated.id ? updated : a));
        drawInbox();
      } catch (error) {
        alertError(error);
      }
    },
  });
  $('alert-count').textContent = `(${counts.open} open)`;
  tick();
}

function selectAlert(alert) {
  state.selectedAlert = alert.id;
  // Near a site, close enough that its buffer shows.
  map.zoomToAlert(alert.id, alertPosition(alert), alert.site ? 11 : 10, pastRegions(alert));
  for (const item of document.querySelectorAll('#alerts .alert, #recent-alerts .alert')) item.classList.toggle('selected', item.dataset.id === alert.id);
}

/** A resolved plan conflict's overlap regions (not drawn), so that selecting it in Recent
 *  still shows where it was. */
function pastRegions(alert) {
  if (!isResolved(alert)) return [];
  return (alert.conflicts || []).map((c) => c.overlap?.region).filter(Boolean);
}

/** Where an alert happens, [lon, lat], if it is not an overlap region: the track's position,
 *  the convoy's expected position, or the protected site itself. */
function alertPosition(alert) {
  const site = alert.site;
  return alert.nonconformance?.position || alert.track_zone_entry?.position
    || site?.position || site?.site_position || site?.volumes?.find((v) => v.site_position)?.site_position
    || (site && map.sitePosition(site.site)) || undefined;
}

function alertError(error) {
  $('alert-count').textContent = `(error: ${error.message})`;
}

// ---- hotline -----------------------------------------------------------------------------

function drawHotline() {
  const parties = knownParties(state.me.id, state);
  // The hotline opens on the thread with the latest message, once the messages are read.
  if (!state.threadChosen && state.messagesLoaded) {
    state.thread = latestThread(state.me.id, parties, state.messages) || state.thread;
    state.threadChosen = true;
  }
  if (!state.thread || !parties.includes(state.thread)) state.thread = parties[0] || null;
  renderThreads($('threads'), state.me.id, parties, state.thread, state.messages, state.agreements, selectThread);
  if (!state.thread) {
    $('messages').innerHTML = '';
    setSendBox(null, 'No party to write to yet.');
    return;
  }
  const unread = renderMessages($('messages'), state.me.id, state.thread, state.messages, state.alerts.map((a) => a.id));
  markRead(unread);
  setSendBox(state.thread, frozenReason(state.me.id, state.thread, state.agreements));
  tick();
}

function selectThread(party) {
  state.thread = party;
  state.threadChosen = true;
  drawHotline();
  $('threads').querySelector(`button[data-party="${CSS.escape(party)}"]`)?.focus();
}

/** Opening a thread reads its messages: the sender sees the receipt. */
async function markRead(ids) {
  for (const id of ids) {
    if (state.markedRead.has(id)) continue;
    state.markedRead.add(id);
    try {
      const read = await call(`/v1/messages/${encodeURIComponent(id)}/read`, { method: 'POST' });
      state.messages = state.messages.map((m) => (m.id === read.id ? read : m));
      renderThreads($('threads'), state.me.id, knownParties(state.me.id, state), state.thread, state.messages, state.agreements, selectThread);
    } catch (error) {
      console.error('read receipt', error);
    }
  }
}

function setSendBox(party, frozen) {
  $('send-to').textContent = party ? `to ${party}` : '';
  const ref = state.reference;
  $('send-ref').hidden = !ref;
  $('send-ref-id').textContent = ref ? shortId(ref.id, state.alerts.map((a) => a.id)) : '';
  $('send-ref-id').title = ref ? `alert ${ref.id}` : '';
  const disabled = !party || Boolean(frozen);
  for (const id of ['send-text', 'send-button', 'send-priority']) $(id).disabled = disabled;
  const status = $('send-status');
  status.classList.toggle('frozen', Boolean(frozen));
  if (frozen || !party) status.textContent = frozen || '';
  else if (status.dataset.kind !== 'result') status.textContent = '';
}

function wireSendBox() {
  const send = async (event) => {
    event?.preventDefault();
    const text = $('send-text').value.trim();
    if (!text || !state.thread) return;
    const status = $('send-status');
    try {
      const body = { to: [state.thread], priority: $('send-priority').value, text };
      if (state.reference) body.reference = state.reference;
      await call('/v1/messages', { method: 'POST', body });
      $('send-text').value = '';
      state.reference = null;
      $('send-ref').hidden = true;
      status.dataset.kind = 'result';
      status.textContent = `sent ${utc(Date.now())}`;
      await refreshHotline();
    } catch (error) {
      // A channel frozen since the last refresh: the server's problem says why; show it and
      // refetch the agreements so the send box disables itself.
      const frozen = (error.type || '').endsWith('/channel-frozen');
      status.dataset.kind = 'result';
      status.textContent = `Not sent: ${error.message}`;
      status.classList.toggle('frozen', frozen);
      if (frozen) refreshHotline();
    }
  };
  $('send-form').addEventListener('submit', send);
  $('send-ref-clear').addEventListener('click', () => {
    state.reference = null;
    $('send-ref').hidden = true;
    $('send-text').value = $('send-text').value.replace(/^Re alert \S+: /, '');
    $('send-text').focus();
  });
  // "re alert sc-1a2b" on a message selects that alert (inbox and map).
  $('messages').addEventListener('click', (event) => {
    const id = event.target.closest('button.ref')?.dataset.alert;
    const alert = id && state.alerts.find((a) => a.id === id);
    if (alert) selectAlert(alert);
  });
  $('send-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) send(event);
  });
}

// ---- toggles: sound, compact inbox -------------------------------------------------------

function wireToggles() {
  const sound = $('sound');
  const showSound = () => {
    sound.setAttribute('aria-pressed', String(announcer.sound));
    sound.textContent = `Sound: ${announcer.sound ? 'on' : 'off'}`;
  };
  sound.addEventListener('click', () => {
    announcer.setSound(!announcer.sound);
    // A click is the user gesture that lets the page play sound at all: a short chime now
    // confirms it works.
    if (announcer.sound) announcer.chime();
    showSound();
  });
  showSound();
  const compact = $('compact');
  const setCompact = (on) => {
    localStorage.setItem(COMPACT_KEY, on ? 'on' : 'off');
    compact.setAttribute('aria-pressed', String(on));
    for (const list of [$('alerts'), $('recent-alerts')]) list.classList.toggle('compact', on);
  };
  compact.addEventListener('click', () => setCompact(compact.getAttribute('aria-pressed') !== 'true'));
  setCompact(localStorage.getItem(COMPACT_KEY) === 'on');
}

// ---- filters -----------------------------------------------------------------------------

const FEET = 0.3048;

function wireFilters() {
  const apply = () => {
    const time = $('time-on').checked ? Number($('time').value) * 1000 : null;
    $('time').disabled = !$('time-on').checked;
    $('time-label').textContent = time === null ? 'all times' : `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')}Z (${relative(time)})`;
    const lo = Number($('alt-lo').value) * 100 * FEET;
    const hi = Number($('alt-hi').value) * 100 * FEET;
    map.setFilter({ time, loM: lo, hiM: hi });
    timeline?.setCursor(time);
  };
  for (const id of ['time-on', 'time', 'alt-lo', 'alt-hi']) $(id).addEventListener('input', apply);
  wireFilters.apply = apply;
}

/** Sets the time filter to `t` (ms), as if the slider had been moved there. */
function setFilterTime(t) {
  $('time-on').checked = true;
  $('time').value = String(Math.round(t / 60000) * 60);
  wireFilters.apply();
}

/** The slider (and the timeline) span now ± the plans' horizon; the slider starts at now. */
function updateTimeRange() {
  const span = map.timeSpan();
  const now = Date.now();
  const lo = Math.floor(Math.min(now, span ? span[0] : now) / 60000) * 60;
  const hi = Math.ceil(Math.max(now + 3600000, span ? span[1] : now) / 60000) * 60;
  const slider = $('time');
  const first = slider.max === '1';
  slider.min = String(lo);
  slider.max = String(hi);
  state.span = [lo * 1000, hi * 1000];
  if (first) slider.value = String(Math.floor(now / 1000));
  wireFilters.apply?.();
}

// ---- clock and countdowns ----------------------------------------------------------------

function tick() {
  const now = Date.now();
  $('clock').textContent = `${new Date(now).toISOString().slice(11, 19)}Z`;
  map?.moveConvoys();
  timeline?.tick(now);
  for (const el of document.querySelectorAll('[data-at]')) el.textContent = relative(Number(el.dataset.at), now);
  for (const el of document.querySelectorAll('[data-rel]')) el.textContent = relative(el.dataset.rel, now);
  for (const el of document.querySelectorAll('[data-window]')) {
    const [start, end] = el.dataset.window.split('|');
    el.textContent = windowStatus(start, end, now);
  }
}

start();
