// The operators' dashboard: every configured server with its power state and live sessions,
// searchable and filterable, kept current by the gateway's live feed (feed.ts); actions through the
// REST API with the operator token (server-row.ts, actions.ts).
import type { ActivityEntry, AgentsAnswer, FleetEvent, ServerSummary, WhoAmI } from '../../../src/api/api-types.js';
import { $, el } from '../common/dom.js';
import { t, translatePage } from '../common/i18n.js';
import { api, type ApiError, onSignin, storedToken, storeToken } from '../common/operator-api.js';
import { startFeed } from './feed.js';
import { serverLabel } from './format.js';
import { drawActivity, drawAgents } from './panels.js';
import { ServerRow } from './server-row.js';
import './dashboard.css';

const rows = new Map<string, ServerRow>();
let activity: ActivityEntry[] = [];
let agents: AgentsAnswer = { dispatch: 'in-process', broker: null, agents: [] };
let unreachable: string[] = [];
let stopFeed: (() => void) | undefined;

const label = (serverId: string) => {
  const r = rows.get(serverId);
  return r ? serverLabel(r.server) : serverId;
};

function setServers(servers: ServerSummary[]): void {
  const tbody = $('fleet').querySelector('tbody')!;
  const next = new Map<string, ServerRow>();
  for (const s of servers) {
    const known = rows.get(s.id);
    // A server whose configuration changed gets a new row; the others keep theirs (and their open details).
    next.set(s.id, known && JSON.stringify(known.server) === JSON.stringify(s) ? known : new ServerRow(s));
  }
  rows.clear();
  for (const [id, r] of next) rows.set(id, r);
  tbody.replaceChildren(...[...rows.values()].flatMap((r) => [r.tr, r.details]));
  const locations = [...new Set(servers.map((s) => s.location ?? ''))].sort();
  const select = $<HTMLSelectElement>('location');
  const chosen = select.options.length > 0 ? select.value : '*';
  select.replaceChildren(new Option(t('dash.allLocations'), '*'), ...locations.map((l) => new Option(l || t('dash.noLocation'), l)));
  select.value = chosen === '*' || locations.includes(chosen) ? chosen : '*';
  applyFilter();
}

function onEvent(e: FleetEvent): void {
  switch (e.type) {
    case 'servers':
      setServers(e.servers);
      break;
    case 'sessions': {
      const byServer = new Map(e.sessions.map((s) => [s.serverId, s]));
      for (const [id, r] of rows) r.setSession(byServer.get(id));
      unreachable = e.unreachable;
      drawAgents(agents, unreachable);
      break;
    }
    case 'sol-sessions': {
      const byServer = new Map(e.sessions.map((s) => [s.serverId, s]));
      for (const [id, r] of rows) r.setSol(byServer.get(id));
      break;
    }
    case 'power':
      rows.get(e.reading.serverId)?.setReading(e.reading);
      break;
    case 'agents':
      agents = e.agents;
      drawAgents(agents, unreachable);
      break;
    case 'activity':
      activity = [...activity, ...e.entries].slice(-50);
      drawActivity(activity, label);
      break;
  }
  if (e.type !== 'activity' && e.type !== 'agents') applyFilter();
}

/** Shows the rows that match the search text, the location and the state chosen; says how many. */
function applyFilter(): void {
  const q = $<HTMLInputElement>('search').value.trim().toLowerCase();
  const location = $<HTMLSelectElement>('location').value;
  const state = $<HTMLSelectElement>('state').value;
  let shown = 0;
  let live = 0;
  for (const r of rows.values()) {
    const s = r.server;
    const text = `${s.name ?? ''} ${s.id} ${s.location ?? ''}`.toLowerCase();
    const power = r.powerState;
    const match =
      (!q || text.includes(q)) &&
      (location === '*' || (s.location ?? '') === location) &&
      (state === 'all' || (state === 'live' ? r.session !== undefined : state === 'no-power' ? power === 'none' : power === state));
    r.tr.hidden = !match;
    if (!match) r.details.hidden = true;
    if (match) shown++;
    if (r.session) live++;
  }
  $('summary').textContent = `${t('dash.summary', { shown, total: rows.size })} · ${t('dash.liveCount', { n: live })}`;
  $('no-match').hidden = shown > 0 || rows.size === 0;
}

async function start(): Promise<void> {
  try {
    const me = await api<WhoAmI>('/api/v1/whoami');
    if (me.kind !== 'operator') throw new Error(t('signin.notOperator'));
    $('who').textContent = t('signin.as', { name: me.name });
  } catch (e) {
    storeToken(null);
    showSignin((e as Error).message);
    return;
  }
  $('signin').hidden = true;
  $('main').hidden = false;
  $('signout').hidden = false;
  stopFeed = startFeed({
    event: onEvent,
    live: (up) => {
      const f = $('feed');
      f.textContent = t(up ? 'dash.feed.live' : 'dash.feed.reconnecting');
      f.className = `feed ${up ? 'live' : 'down'}`;
      document.body.dataset.feed = up ? 'live' : 'down';
    },
    refused: (e: ApiError) => {
      storeToken(null);
      showSignin(e.message);
    },
  });
}

function showSignin(error = ''): void {
  stopFeed?.();
  stopFeed = undefined;
  $('main').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  $('who').textContent = '';
}

function init(): void {
  translatePage();
  document.title = t('dash.title');
  const state = $<HTMLSelectElement>('state');
  for (const [value, key] of [
    ['all', 'dash.filter.all'],
    ['on', 'dash.filter.on'],
    ['off', 'dash.filter.off'],
    ['unknown', 'dash.filter.unknown'],
    ['live', 'dash.filter.live'],
    ['no-power', 'dash.filter.noPower'],
  ] as const) {
    state.append(new Option(t(key), value));
  }
  for (const id of ['search', 'location', 'state']) $(id).addEventListener('input', applyFilter);
  onSignin($<HTMLFormElement>('signin'), $<HTMLInputElement>('token'), () => void start());
  $('signout').addEventListener('click', () => {
    storeToken(null);
    showSignin();
  });
  drawActivity([], label);
  $('fleet')
    .querySelector('thead')!
    .replaceChildren(
      el('tr', {}, ...(['server', 'location', 'console', 'access', 'power', 'session', 'actions'] as const).map((c) => el('th', {}, t(`dash.col.${c}`)))),
    );
  if (storedToken()) void start();
  else showSignin();
}

init();
