// drover dashboard: one page over the hub's REST API (/api/v1) and its live
// stream (GET /api/v1/events, text/event-stream).
//
// Contracts kept here:
// - Everything the API returns is shown with textContent (the h() builder);
//   nothing from the hub is ever parsed as HTML.
// - The token lives in sessionStorage only; every call sends it as
//   Authorization: Bearer. A 401 anywhere signs out with the hub's message.
// - A page left open for hours stays the same size: the events list holds at
//   most MAX_EVENTS, every refresh replaces a view's DOM instead of adding to
//   it, listeners are attached once per page build, and a session owns
//   exactly one interval and at most one pending refresh and one reconnect
//   timer, all cleared on sign-out.
// - Live `change` messages (and deployed/rejected events, which change the
//   summary) refetch the page shown at most once a second, and only when they
//   concern it.

const TOKEN_KEY = 'drover.token';
const STATES = ['Ready', 'NotReady', 'Failed', 'Modified', 'OutOfSync', 'Offline', 'Pending'];
const PAGE_SIZE = 50;
const MAX_EVENTS = 50;
const MAX_NAMES_PER_STATE = 200;    // bundle page: names listed per state
const REFRESH_MIN_MS = 1000;        // at most one refetch a second
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 15000;
const STREAM_SILENCE_MS = 45000;    // the hub pings every 15 s
const MAX_SSE_BUFFER = 1 << 20;     // one message larger than this: reconnect
const REVISION_EVENTS = ['deployed', 'rejected', 'mirror'];

const $ = (id) => document.getElementById(id);

// ---- DOM building -----------------------------------------------------------

// h('a', {href: '#/', class: 'x'}, 'text', child...): attributes are set with
// setAttribute, children that are not nodes become text nodes.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const stateClass = (state) => 's-' + (STATES.includes(state) ? state : 'other');
const short = (commit) => (typeof commit === 'string' && commit ? commit.slice(0, 7) : '—');
const agentHref = (name) => '#/agents/' + encodeURIComponent(name);
const bundleHref = (name) => '#/bundles/' + encodeURIComponent(name);

function absTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
         `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function relTime(iso) {
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return '';
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

// A <time> showing "5 min ago (2026-11-21 08:00:00)"; the relative part is
// kept current by the session's tick (updateRelativeTimes).
function timeEl(iso, withAbsolute = true) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, class: 'rel', 'data-abs': withAbsolute ? '1' : null, title: absTime(iso) },
    timeText(iso, withAbsolute));
}
const timeText = (iso, withAbsolute) => withAbsolute ? `${relTime(iso)} (${absTime(iso)})` : relTime(iso);

function updateRelativeTimes() {
  for (const el of document.querySelectorAll('time.rel')) {
    const text = timeText(el.getAttribute('datetime'), el.hasAttribute('data-abs'));
    if (el.textContent !== text) el.textContent = text;
  }
}

function chip(text, state, stale) {
  return h('span', { class: `chip ${stateClass(state)}${stale ? ' stale' : ''}`,
                     title: stale ? 'last known state: the agent is offline' : null }, text);
}

function labelChips(labels) {
  const entries = Object.entries(labels || {});
  if (!entries.length) return h('span', { class: 'muted' }, 'no labels');
  return h('span', { class: 'labels' }, entries.map(([k, v]) => h('span', { class: 'label' }, `${k}=${v}`)));
}

function onlineEl(agent) {
  if (agent.revoked_at) return h('span', { class: 'badge revoked' }, 'Revoked ', timeEl(agent.revoked_at));
  if (agent.online) return h('span', { class: 'badge online' }, 'Online');
  return h('span', { class: 'badge offline' }, 'Offline since ', timeEl(agent.offline_since));
}

function table(headers, rows, cls) {
  return h('div', { class: 'scroll' },
    h('table', { class: cls || null },
      h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows)));
}

// ---- the API ----------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function errorOf(res) {
  try {
    const body = await res.json();
    if (body && typeof body.error === 'string') return body.error;
  } catch { /* not JSON */ }
  return `${res.status} ${res.statusText}`.trim();
}

// GET on the API with the session's token (or `token`). Throws ApiError; a
// 401 also ends the session.
async function api(path, token = session && session.token) {
  let res;
  try {
    res = await fetch(path, { cache: 'no-store', headers: { Authorization: 'Bearer ' + token, Accept: 'application/json' } });
  } catch (e) {
    throw new ApiError(0, `cannot reach the hub (${e.message})`);
  }
  if (!res.ok) {
    const message = await errorOf(res);
    if (res.status === 401 && session && token === session.token) signOut(message);
    throw new ApiError(res.status, message);
  }
  return res.json();
}

// ---- session: sign-in, sign-out, timers ------------------------------------

let session = null;  // see startSession

function roleOf(token) {
  if (token.startsWith('drv_viewer_')) return 'viewer (read-only)';
  if (token.startsWith('drv_admin_')) return 'admin';
  return '';
}

function showSignIn(message) {
  $('view').hidden = true;
  $('view').replaceChildren();
  $('signin').hidden = false;
  $('signout').hidden = true;
  $('role').hidden = true;
  $('live').hidden = true;
  const err = $('signin-error');
  err.textContent = message || '';
  err.hidden = !message;
  $('token').focus();
}

async function signIn(token) {
  // The summary is cheap at any fleet size: a good first call to prove the token.
  await api('/api/v1/summary', token);
  sessionStorage.setItem(TOKEN_KEY, token);
  startSession(token);
}

function startSession(token) {
  session = {
    token,
    events: [],          // newest first, at most MAX_EVENTS
    lastEventId: null,   // the newest event seen; the stream resumes after it
    closed: false,
    abort: null,         // the stream's AbortController
    backoffTimer: 0,
    wake: null,          // resolves the backoff wait early (sign-out)
    lastByteAt: Date.now(),
    tick: setInterval(onTick, 10000),
  };
  $('signin').hidden = true;
  $('view').hidden = false;
  $('signout').hidden = false;
  const role = roleOf(token);
  $('role').textContent = role;
  $('role').hidden = !role;
  setLive('connecting', '');
  route();
  startEvents(session);
}

function signOut(message) {
  if (session) {
    session.closed = true;
    clearInterval(session.tick);
    clearTimeout(session.backoffTimer);
    if (session.wake) session.wake();
    if (session.abort) session.abort.abort();
    session = null;
  }
  cancelRefresh();
  current = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn(message);
}

function onTick() {
  updateRelativeTimes();
  // A half-open connection shows no error; the hub's pings stopping does.
  if (session && session.abort && Date.now() - session.lastByteAt > STREAM_SILENCE_MS) session.abort.abort();
}

function setLive(state, detail) {
  const el = $('live');
  el.hidden = false;
  el.className = 'live ' + state;
  el.textContent = state === 'live' ? 'live' : state === 'connecting' ? 'connecting…' : 'reconnecting…';
  el.title = detail || '';
}

// ---- live stream ------------------------------------------------------------

async function startEvents(s) {
  try {
    const list = await api('/api/v1/events?limit=' + MAX_EVENTS, s.token);
    if (s.closed) return;
    s.events = Array.isArray(list) ? list.slice(0, MAX_EVENTS) : [];
    s.lastEventId = s.events.reduce((m, e) => Math.max(m, Number(e.id) || 0), 0);
    renderEvents();
  } catch (e) {
    if (s.closed) return;
    // No starting point: lastEventId stays null, so the stream sends no
    // since= and starts from now (since=0 would replay the oldest events
    // as if they were new).
  }
  runStream(s);
}

// Reads the stream until the session ends; reconnects after a drop with
// ?since=<last event id>, waiting 1 s, 2 s, ... up to 15 s between tries.
async function runStream(s) {
  let delay = BACKOFF_MIN_MS;
  let connectedBefore = false;
  while (!s.closed) {
    let detail = '';
    s.abort = new AbortController();
    try {
      const since = s.lastEventId !== null ? '?since=' + s.lastEventId : '';
      const res = await fetch('/api/v1/events' + since, { cache: 'no-store', signal: s.abort.signal,
        headers: { Authorization: 'Bearer ' + s.token, Accept: 'text/event-stream' } });
      if (res.status === 401) { signOut(await errorOf(res)); return; }
      if (!res.ok || !res.body) throw new Error(await errorOf(res));
      s.lastByteAt = Date.now();
      setLive('live', '');
      // Changes while disconnected were not replayed: catch up once.
      if (connectedBefore) scheduleRefresh();
      connectedBefore = true;
      await readStream(s, res.body, () => { delay = BACKOFF_MIN_MS; });
      detail = 'the hub closed the stream';
    } catch (e) {
      detail = e.name === 'AbortError' ? 'no data from the hub' : e.message;
    }
    s.abort = null;
    if (s.closed) return;
    setLive('reconnecting', detail);
    await new Promise((resolve) => { s.wake = resolve; s.backoffTimer = setTimeout(resolve, delay); });
    s.wake = null;
    delay = Math.min(delay * 2, BACKOFF_MAX_MS);
  }
}

// Parses server-sent events (id/event/data fields, blank line ends a message)
// and hands each to onMessage; `progress` is called for each message and ping.
async function readStream(s, body, progress) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let msg = { event: 'message', data: [], id: null, size: 0 };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || s.closed) return;
      s.lastByteAt = Date.now();
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop();
      if (buffer.length > MAX_SSE_BUFFER) throw new Error('a stream message is too large');
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line === '') {
          if (msg.data.length) { progress(); onMessage(s, msg.event, msg.data.join('\n'), msg.id); }
          msg = { event: 'message', data: [], id: null, size: 0 };
          continue;
        }
        if (line.startsWith(':')) { progress(); continue; }  // ping
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'event') msg.event = value;
        else if (field === 'data') msg.data.push(value);
        else if (field === 'id') msg.id = value;
        msg.size += line.length;
        if (msg.size > MAX_SSE_BUFFER) throw new Error('a stream message is too large');
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

function onMessage(s, event, data, id) {
  let body;
  try { body = JSON.parse(data); } catch { return; }  // not ours to show
  if (!body || typeof body !== 'object') return;
  if (event === 'event') {
    const n = Number(body.id ?? id);
    if (!Number.isFinite(n) || (s.lastEventId !== null && n <= s.lastEventId)) return;
    s.lastEventId = n;
    addEvent(s, body);
    // A refused commit changes no agent, only the fleet page's summary.
    if (current && current.route.page === 'fleet' && REVISION_EVENTS.includes(body.kind)) scheduleRefresh();
  } else if (event === 'change') {
    if (current && concerns(current, body)) scheduleRefresh();
  } else if (event === 'error') {
    // The hub ended the stream: its token was revoked or has expired.
    signOut(typeof body.error === 'string' ? body.error : 'the hub ended this session');
  } else if (event === 'gap') {
    // More was missed than the hub replays: the recent list, read again.
    reloadEvents(s, Number(body.until));
  }
}

async function reloadEvents(s, until) {
  try {
    const list = await api('/api/v1/events?limit=' + MAX_EVENTS, s.token);
    if (s.closed || !Array.isArray(list)) return;
    s.events = list.slice(0, MAX_EVENTS);
    s.lastEventId = Math.max(s.lastEventId ?? 0, Number.isFinite(until) ? until : 0);
    renderEvents();
    scheduleRefresh();
  } catch {
    // The stream goes on; the list catches up with the next events.
  }
}

function concerns(page, change) {
  if (change.all) return true;
  const r = page.route;
  const named = Array.isArray(change.agents) ? change.agents : [];
  if (r.page === 'agent') return named.includes(r.name);
  // The fleet page counts every agent; a bundle page may come to target any
  // agent (registered, relabelled, reconnected with new labels).
  return true;
}

// ---- events list ------------------------------------------------------------

function eventItem(e) {
  return h('li', { 'data-id': e.id },
    h('time', { class: 'when', datetime: e.time, title: absTime(e.time) }, absTime(e.time)),
    h('span', { class: 'kind k-' + (/^[a-z]+$/.test(e.kind) ? e.kind : 'other') }, String(e.kind)),
    h('span', { class: 'msg' }, String(e.message)));
}

function addEvent(s, e) {
  s.events.unshift(e);
  if (s.events.length > MAX_EVENTS) s.events.length = MAX_EVENTS;
  const list = $('events');
  if (!list) return;
  list.prepend(eventItem(e));
  while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  $('events-empty').hidden = true;
}

function renderEvents() {
  const list = $('events');
  if (!list || !session) return;
  list.replaceChildren(...session.events.map(eventItem));
  $('events-empty').hidden = session.events.length > 0;
}

// ---- routing ------------------------------------------------------------------

// #/                          fleet: summary, bundles, agents, events
// #/?selector=S&state=X       the same, agents filtered
// #/agents/NAME  #/bundles/NAME
function parseRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  let parts;
  try { parts = path.split('/').filter(Boolean).map(decodeURIComponent); } catch { parts = []; }
  if (parts.length === 2 && parts[0] === 'agents') return { page: 'agent', name: parts[1] };
  if (parts.length === 2 && parts[0] === 'bundles') return { page: 'bundle', name: parts[1] };
  return { page: 'fleet', selector: params.get('selector') || '', state: params.get('state') || '' };
}

function fleetHash(selector, state) {
  const p = new URLSearchParams();
  if (selector) p.set('selector', selector);
  if (state) p.set('state', state);
  const qs = p.toString();
  return '#/' + (qs ? '?' + qs : '');
}

// The page shown: {route, root, load(isCurrent), showError(e)}.
let current = null;

function route() {
  if (!session) return;
  const r = parseRoute();
  cancelRefresh();
  if (r.page === 'fleet' && current && current.route.page === 'fleet') {
    current.setFilter(r);  // keep the skeleton (and the search box's focus)
  } else {
    current = r.page === 'agent' ? agentPage(r) : r.page === 'bundle' ? bundlePage(r) : fleetPage(r);
    $('view').replaceChildren(current.root);
    window.scrollTo(0, 0);
  }
  current.route = r;
  reload();
}

// ---- loading and the refresh throttle -----------------------------------------

// One load at a time for live refreshes (a slow hub is not piled on);
// navigation starts a load at once and the older one's result is dropped
// (each load asks isCurrent() before it renders).
let refreshTimer = 0;
let lastRefreshAt = 0;
let loadSeq = 0;
let loading = false;
let refreshAgain = false;

function cancelRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = 0;
  refreshAgain = false;
}

// At most one refetch a second, however many changes arrive.
function scheduleRefresh() {
  if (refreshTimer) return;
  const wait = Math.max(0, lastRefreshAt + REFRESH_MIN_MS - Date.now());
  refreshTimer = setTimeout(() => {
    refreshTimer = 0;
    if (loading) refreshAgain = true;
    else runLoad();
  }, wait);
}

function reload() {
  cancelRefresh();
  runLoad();
}

async function runLoad() {
  const page = current;
  if (!page) return;
  const seq = ++loadSeq;
  const isCurrent = () => seq === loadSeq && current === page;
  loading = true;
  lastRefreshAt = Date.now();
  try {
    await page.load(isCurrent);
  } catch (e) {
    if (isCurrent()) page.showError(e);
  }
  if (seq !== loadSeq) return;  // a newer load owns the flags
  loading = false;
  if (refreshAgain) { refreshAgain = false; scheduleRefresh(); }
}

function errorBox(e) {
  return h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? e.message : `error: ${e.message}`);
}

// A page whose whole content comes from one load: `body` is replaced on each.
function simplePage(r, title, load) {
  const body = h('div', { class: 'page-body' }, h('p', { class: 'muted' }, 'loading…'));
  const notice = h('div', { class: 'notice' });
  const page = {
    route: r,
    root: h('section', { class: 'page' }, h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← fleet')),
      h('h1', null, title), notice, body),
    load: async (isCurrent) => {
      const content = await load(page);
      if (!isCurrent()) return;
      notice.replaceChildren();
      body.replaceChildren(...content);
    },
    showError: (e) => {
      // A failed refresh keeps what is shown, with the error above it; a 404
      // (the agent or bundle is gone) replaces it.
      if (e.status === 404 || !body.querySelector('table, .tiles')) body.replaceChildren(errorBox(e));
      else notice.replaceChildren(errorBox(e));
    },
  };
  return page;
}

// ---- fleet page ---------------------------------------------------------------

function fleetPage(r) {
  const selector = h('input', { id: 'selector', type: 'search', name: 'selector', spellcheck: 'false',
    autocomplete: 'off', placeholder: 'label selector, e.g. role=gateway,region in (eu,us)',
    'aria-label': 'label selector' });
  const state = h('select', { id: 'state', name: 'state', 'aria-label': 'state' },
    h('option', { value: '' }, 'any state'), STATES.map((s) => h('option', { value: s }, s)));
  const form = h('form', { id: 'filter', class: 'filter' }, selector, state,
    h('button', { type: 'submit' }, 'Filter'), h('button', { type: 'button', id: 'clear' }, 'Clear'));
  const prev = h('button', { type: 'button', id: 'prev' }, '← previous');
  const next = h('button', { type: 'button', id: 'next' }, 'next →');
  const range = h('span', { id: 'agents-range', class: 'muted' });
  const parts = {
    summary: h('div', { id: 'summary' }, h('p', { class: 'muted' }, 'loading…')),
    bundles: h('div', { id: 'bundles' }),
    rollouts: h('div', { id: 'rollouts' }),
    agentsError: h('div', { id: 'agents-error' }),
    agents: h('div', { id: 'agents' }),
  };
  const page = {
    route: r,
    cursors: [null],  // the cursor of each page up to the one shown
    root: h('div', { class: 'fleet' },
      h('section', null, h('h2', null, 'Fleet'), parts.summary),
      h('section', null, h('h2', null, 'Bundles'), parts.bundles),
      h('section', null, h('h2', null, 'Rollouts'), parts.rollouts),
      h('section', null, h('h2', null, 'Agents'), form, parts.agentsError, parts.agents,
        h('div', { class: 'pager' }, prev, range, next)),
      h('section', null, h('h2', null, 'Recent events'),
        h('p', { id: 'events-empty', class: 'muted' }, 'no events yet'), h('ol', { id: 'events', class: 'events' }))),
  };
  const apply = () => { location.hash = fleetHash(selector.value.trim(), state.value); };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); apply(); });
  state.addEventListener('change', apply);
  form.querySelector('#clear').addEventListener('click', () => { selector.value = ''; state.value = ''; apply(); });
  prev.addEventListener('click', () => { if (page.cursors.length > 1) { page.cursors.pop(); reload(); } });
  next.addEventListener('click', () => { if (page.nextCursor) { page.cursors.push(page.nextCursor); reload(); } });

  page.setFilter = (nr) => {
    if (nr.selector !== page.route.selector || nr.state !== page.route.state) page.cursors = [null];
    if (document.activeElement !== selector) selector.value = nr.selector;
    state.value = STATES.includes(nr.state) ? nr.state : '';
  };
  page.setFilter(r);

  page.load = async (isCurrent) => {
    const q = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (page.route.selector) q.set('selector', page.route.selector);
    if (page.route.state) q.set('state', page.route.state);
    const cursor = page.cursors[page.cursors.length - 1];
    if (cursor) q.set('continue', cursor);
    const [summary, bundles, agents, rollouts] = await Promise.allSettled([
      api('/api/v1/summary'), api('/api/v1/bundles'), api('/api/v1/agents?' + q), api('/api/v1/rollouts')]);
    if (!isCurrent()) return;
    const show = (box, result, render) => box.replaceChildren(
      ...(result.status === 'fulfilled' ? render(result.value) : [errorBox(result.reason)]));
    show(parts.summary, summary, renderSummary);
    show(parts.bundles, bundles, renderBundles);
    show(parts.rollouts, rollouts, renderRollouts);
    if (agents.status === 'fulfilled') {
      parts.agentsError.replaceChildren();
      parts.agents.replaceChildren(renderAgents(agents.value.items || []));
      const first = (page.cursors.length - 1) * PAGE_SIZE;
      const n = (agents.value.items || []).length;
      const total = Number(agents.value.total) || 0;
      range.textContent = n ? `${first + 1}–${first + n} of ${total}` : `0 of ${total}`;
      page.nextCursor = agents.value.continue || null;
    } else {
      // A bad selector: the hub's message, and no stale rows that seem to match it.
      parts.agentsError.replaceChildren(errorBox(agents.reason));
      parts.agents.replaceChildren();
      range.textContent = '';
      page.nextCursor = null;
    }
    prev.disabled = page.cursors.length <= 1;
    next.disabled = !page.nextCursor;
    renderEvents();
  };
  page.showError = (e) => parts.summary.replaceChildren(errorBox(e));
  return page;
}

function tile(label, value, cls) {
  return h('div', { class: 'tile ' + (cls || '') }, h('span', { class: 'value' }, String(value)),
    h('span', { class: 'what' }, label));
}

function renderSummary(s) {
  const out = [];
  const rev = s.revision || {};
  if (rev.error) {
    out.push(h('div', { class: 'alert', role: 'alert' },
      h('strong', null, `Commit ${short(rev.error.commit)} is not deployed: `),
      h('span', { class: 'problems' }, String(rev.error.message).trim()),
      h('div', { class: 'muted' }, `Still running ${short(rev.commit)}.`)));
  }
  const a = s.agents || {}, b = s.bundles || {};
  out.push(h('div', { class: 'tiles' },
    tile('agents registered', a.registered ?? 0),
    tile('online', a.online ?? 0, a.online ? 'good' : ''),
    tile('offline', a.offline ?? 0, a.offline ? 'bad' : ''),
    tile('bundles healthy', b.healthy ?? 0, b.healthy ? 'good' : ''),
    tile('bundles degraded', b.degraded ?? 0, b.degraded ? 'bad' : ''),
    h('div', { class: 'tile commit', title: rev.commit || '' }, h('span', { class: 'value mono' }, short(rev.commit)),
      h('span', { class: 'what' }, 'deployed commit'))));
  return out;
}

const COUNTS = [['targeted', 'targeted'], ['Ready', 'ready'], ['NotReady', 'not_ready'], ['Failed', 'failed'],
  ['Modified', 'modified'], ['OutOfSync', 'out_of_sync'], ['Offline', 'offline'], ['Pending', 'pending']];

function countCell(state, n) {
  n = Number(n) || 0;
  return h('td', { class: `num${n ? ' ' + stateClass(state) + '-n' : ' zero'}` }, String(n));
}

function renderBundles(list) {
  if (!Array.isArray(list) || !list.length) return [h('p', { class: 'muted' }, 'no bundles deployed')];
  return [table(['Bundle', 'Commit', ...COUNTS.map(([t]) => t)], list.map((b) =>
    h('tr', null,
      h('th', { scope: 'row' }, h('a', { href: bundleHref(b.name) }, b.name)),
      h('td', { class: 'mono', title: b.commit || '' }, short(b.commit)),
      COUNTS.map(([t, k]) => (t === 'targeted' ? h('td', { class: 'num' }, String(b[k] ?? 0)) : countCell(t, b[k]))))),
  'bundles')];
}

// ---- rollouts -------------------------------------------------------------------

const ROLLOUT_ENDED = ['complete', 'halted', 'aborted'];
// The state colour a phase borrows.
const PHASE_STATE = { complete: 'Ready', halted: 'Failed', aborted: 'Modified' };

function rolloutProgress(r) {
  const p = r.progress || {};
  let line = `${p.updated ?? 0}/${p.targeted ?? 0} updated, ${p.ready ?? 0} Ready, ${p.failed ?? 0} failed, ` +
    `${p.waiting ?? 0} waiting`;
  if (p.offline_skipped) line += ` (${p.offline_skipped} offline, skipped)`;
  return line;
}

// One rollout: phase, revisions, progress, and why it halted or was aborted.
function rolloutBox(r, withName) {
  const phase = String(r.phase);
  const shown = r.paused && !ROLLOUT_ENDED.includes(phase) ? phase + ' (paused)' : phase;
  return h('div', { class: 'rollout' + (phase === 'halted' ? ' alert' : ''), 'data-bundle': String(r.bundle),
    'data-phase': phase, role: phase === 'halted' ? 'alert' : null },
  h('div', null,
    withName ? h('a', { href: bundleHref(r.bundle) }, String(r.bundle)) : null, withName ? ' ' : null,
    chip(shown, PHASE_STATE[phase] || 'Pending', false),
    ' to ', h('span', { class: 'mono', title: r.target || '' }, short(r.target)),
    r.from ? ' from ' : ' (a new bundle)', r.from ? h('span', { class: 'mono', title: r.from }, short(r.from)) : null,
    h('span', { class: 'muted' }, ' started ', timeEl(r.started_at, false))),
  h('div', { class: 'progress' }, rolloutProgress(r)),
  r.reason ? h('div', { class: 'reason' }, h('strong', null, phase === 'halted' ? 'Halted: ' : 'Why: '), String(r.reason)) : null);
}

// The fleet page lists rollouts still under way or stopped short; complete ones are counted.
function renderRollouts(list) {
  if (!Array.isArray(list)) return [];
  const open = list.filter((r) => r.phase !== 'complete');
  const done = list.length - open.length;
  const out = open.map((r) => rolloutBox(r, true));
  if (!open.length) out.push(h('p', { class: 'muted' }, 'no rollout in progress' + (done ? ` (${done} complete)` : '')));
  return out;
}

function bundleChips(agent) {
  const stale = !agent.online;
  if (!agent.bundles || !agent.bundles.length) return h('span', { class: 'muted' }, 'no bundles');
  return h('span', { class: 'chips' }, agent.bundles.map((b) =>
    chip(`${b.bundle}: ${b.out_of_sync ? 'OutOfSync' : b.state}`, b.out_of_sync ? 'OutOfSync' : b.state, stale)));
}

function renderAgents(items) {
  if (!items.length) return h('p', { class: 'muted' }, 'no agents match');
  return table(['Agent', 'Labels', 'Status', 'Last seen', 'Bundles'], items.map((a) =>
    h('tr', { class: a.online ? null : 'offline', 'data-agent': a.name },
      h('th', { scope: 'row' }, h('a', { href: agentHref(a.name) }, a.name)),
      h('td', null, labelChips(a.labels)),
      h('td', { class: 'status' }, onlineEl(a)),
      h('td', null, timeEl(a.last_seen, false)),
      h('td', null, bundleChips(a)))), 'agents');
}

// ---- agent page ---------------------------------------------------------------

function agentPage(r) {
  return simplePage(r, r.name, async () => {
    const a = await api('/api/v1/agents/' + encodeURIComponent(r.name));
    const stale = !a.online;
    const out = [];
    if (stale && !a.revoked_at) {
      out.push(h('div', { class: 'alert offline-banner' }, h('strong', null, 'Offline since '),
        timeEl(a.offline_since), h('div', null, 'The states below are the last the agent reported.')));
    }
    out.push(h('dl', { class: 'facts-list' },
      h('dt', null, 'Status'), h('dd', null, onlineEl(a)),
      h('dt', null, 'Last seen'), h('dd', null, timeEl(a.last_seen)),
      h('dt', null, 'Version'), h('dd', null, a.version || '—'),
      h('dt', null, 'Id'), h('dd', { class: 'mono' }, a.id || '—'),
      h('dt', null, 'Labels'), h('dd', null, labelChips(a.labels))));
    out.push(h('h2', null, 'Bundles'));
    const bundles = a.bundles || [];
    out.push(bundles.length ? table(['Bundle', 'State', 'Revision', 'Message'], bundles.map((b) =>
      h('tr', { class: stale ? 'offline' : null },
        h('th', { scope: 'row' }, h('a', { href: bundleHref(b.bundle) }, b.bundle)),
        h('td', null, chip(b.state, b.state, stale), b.out_of_sync ? chip('OutOfSync', 'OutOfSync', stale) : null),
        h('td', { class: 'mono', title: b.revision || '' }, short(b.revision)),
        h('td', { class: 'message' }, b.message || ''))), 'agent-bundles')
      : h('p', { class: 'muted' }, 'no bundles target this agent'));
    out.push(h('h2', null, 'Facts'));
    const facts = Object.entries(a.facts || {});
    out.push(facts.length ? table(['Fact', 'Value'], facts.map(([k, v]) =>
      h('tr', null, h('th', { scope: 'row' }, k), h('td', { class: 'mono' }, typeof v === 'string' ? v : JSON.stringify(v)))), 'facts')
      : h('p', { class: 'muted' }, 'no facts reported'));
    return out;
  });
}

// ---- bundle page --------------------------------------------------------------

function bundlePage(r) {
  return simplePage(r, r.name, async (page) => {
    // The bundle lists names by state, and which targeted agents have no
    // session (offline_agents).
    const [b, rollout] = await Promise.all([api('/api/v1/bundles/' + encodeURIComponent(r.name)),
      api('/api/v1/rollouts/' + encodeURIComponent(r.name)).catch((e) => {
        if (e.status === 404) return null;  // no rollout policy, or none yet
        throw e;
      })]);
    const offlineNames = new Set(Array.isArray(b.offline_agents) ? b.offline_agents : []);
    const out = [h('p', null, 'Changed in commit ', h('span', { class: 'mono', title: b.commit || '' }, short(b.commit)),
      ', deployed revision ', h('span', { class: 'mono', title: b.revision || '' }, short(b.revision)))];
    if (rollout) out.push(h('section', { class: 'rollout-of-bundle' }, h('h2', null, 'Rollout'), rolloutBox(rollout, false)));
    out.push(h('div', { class: 'tiles' }, COUNTS.map(([t, k]) =>
      tile(t, b[k] ?? 0, t === 'targeted' ? '' : (Number(b[k]) ? stateClass(t) + '-n' : 'zero')))));
    const groups = Object.entries(b.agents || {}).sort(([x], [y]) =>
      (STATES.indexOf(x) + 1 || 99) - (STATES.indexOf(y) + 1 || 99) || x.localeCompare(y));
    if (!groups.length) out.push(h('p', { class: 'muted' }, 'no agents are targeted by this bundle'));
    for (const [state, names] of groups) {
      const shown = names.slice(0, MAX_NAMES_PER_STATE);
      out.push(h('section', { class: 'state-group', 'data-state': state },
        h('h2', null, chip(state, state, false), ` ${names.length} agent${names.length === 1 ? '' : 's'}`),
        h('ul', { class: 'names' }, shown.map((n) => {
          const off = offlineNames.has(n);
          return h('li', { class: off ? 'offline' : null }, h('a', { href: agentHref(n) }, n),
            off ? h('span', { class: 'muted' }, ' (offline, last known)') : null);
        })),
        names.length > shown.length ? h('p', { class: 'muted' }, `… and ${names.length - shown.length} more`) : null));
    }
    return out;
  });
}

// ---- start ----------------------------------------------------------------------

function init() {
  $('signin-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const button = ev.target.querySelector('button');
    const token = $('token').value.trim();
    if (!token) return;
    button.disabled = true;
    try {
      await signIn(token);
      $('token').value = '';
    } catch (e) {
      showSignIn(e.message);
    } finally {
      button.disabled = false;
    }
  });
  $('signout').addEventListener('click', () => signOut(''));
  window.addEventListener('hashchange', route);
  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) startSession(saved);
  else showSignIn('');
}

init();
