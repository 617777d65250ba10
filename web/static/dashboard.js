// Operators' dashboard: live sessions with thumbnails, refreshed every few seconds, and the power
// of servers with IPMI or Redfish (dashboard-power.js). The operator token stays in this tab's
// sessionStorage and is sent as a Bearer token to the REST API.
import { loadPower } from './dashboard-power.js';

const $ = (id) => document.getElementById(id);
const KEY = 'bmcgw.operatorToken';
let token = sessionStorage.getItem(KEY);
let timer = null;
const thumbs = new Map(); // session id -> object URL

async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: { ...(opts.headers || {}), authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (res.status === 204) return null;
  if (res.headers.get('content-type')?.startsWith('image/')) return res.ok ? res.blob() : null;
  const body = await res.json();
  if (!res.ok) throw new Error(body?.error?.message || `HTTP ${res.status}`);
  return body;
}

function fmtAge(s) {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}
function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}
function cell(text) {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
}

async function refresh() {
  let list;
  try {
    list = await api('/api/v1/sessions');
  } catch (e) {
    $('summary').textContent = `Cannot load sessions: ${e.message}`;
    return;
  }
  const tbody = $('sessions').querySelector('tbody');
  tbody.replaceChildren();
  $('summary').textContent = `${list.sessions.length} live session(s)`;
  const live = new Set();
  refreshAgents();
  for (const s of list.sessions) {
    live.add(s.id);
    const tr = document.createElement('tr');
    tr.dataset.session = s.id;
    const tdImg = document.createElement('td');
    const img = document.createElement('img');
    img.className = 'thumb';
    img.alt = `console of ${s.serverId}`;
    if (thumbs.has(s.id)) img.src = thumbs.get(s.id);
    tdImg.append(img);
    api(`/api/v1/sessions/${encodeURIComponent(s.id)}/thumbnail.png`).then((blob) => {
      if (!blob) return;
      const url = URL.createObjectURL(blob);
      if (thumbs.has(s.id)) URL.revokeObjectURL(thumbs.get(s.id));
      thumbs.set(s.id, url);
      img.src = url;
    }).catch(() => {});
    const viewers = s.viewers.length === 0 ? 'none' : s.viewers.map((v) => (v.viewOnly ? 'view-only' : 'interactive')).join(', ');
    const state = cell(s.warning ? `${s.state} — ${s.warning}` : s.state);
    state.className = `state-${s.state}`;
    const end = document.createElement('button');
    end.type = 'button';
    end.textContent = 'End session';
    end.addEventListener('click', async () => {
      if (!confirm(`End the console session of ${s.serverId}? Its viewers are disconnected.`)) return;
      try { await api(`/api/v1/sessions/${encodeURIComponent(s.id)}`, { method: 'DELETE' }); } catch (e) { alert(e.message); }
      refresh();
    });
    const tdEnd = document.createElement('td');
    tdEnd.append(end);
    tr.append(tdImg, cell(s.serverId), cell(s.location ?? ''), state, cell(fmtAge(s.ageSeconds)), cell(`${s.viewers.length} (${viewers})`),
      cell(`${fmtBytes(s.bytesIn)} / ${fmtBytes(s.bytesOut)}`), cell(s.lastInputAt ? new Date(s.lastInputAt).toLocaleTimeString() : 'never'), tdEnd);
    tbody.append(tr);
  }
  for (const [id, url] of thumbs) if (!live.has(id)) { URL.revokeObjectURL(url); thumbs.delete(id); }
}

// Agents of other locations (dispatch through RabbitMQ); the section stays hidden without any.
async function refreshAgents() {
  let res;
  try { res = await api('/api/v1/agents'); } catch { return; }
  $('agents-section').hidden = res.agents.length === 0;
  $('agents').querySelector('tbody').replaceChildren(...res.agents.map((a) => {
    const tr = document.createElement('tr');
    tr.append(cell(a.location), cell(a.id), cell(a.url), cell(a.version), cell(String(a.load)), cell(`${(a.lastSeenMs / 1000).toFixed(1)} s ago`));
    return tr;
  }));
}

async function start() {
  try {
    const me = await api('/api/v1/whoami');
    if (me.kind !== 'operator') throw new Error('this token is not an operator token');
    $('who').textContent = `signed in as ${me.name}`;
  } catch (e) {
    sessionStorage.removeItem(KEY);
    token = null;
    showSignin(e.message);
    return;
  }
  $('signin').hidden = true;
  $('main').hidden = false;
  $('signout').hidden = false;
  await refresh();
  loadPower(api, cell, $);
  timer = setInterval(refresh, 3000);
}

function showSignin(error = '') {
  clearInterval(timer);
  $('main').hidden = true;
  $('signout').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  $('who').textContent = '';
}

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  sessionStorage.setItem(KEY, token);
  start();
});
$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(KEY);
  token = null;
  showSignin();
});

if (token) start(); else showSignin();
