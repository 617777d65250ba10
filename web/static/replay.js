// The replay page: stock noVNC connected to the gateway's replay WebSocket, which plays a recorded
// FBS file as an RFB server. Speed and seek open a new replay from the start (fast up to the seek
// position, then paced), so the position shown here is this page's own clock.
import RFB from '/novnc/core/rfb.js';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'bmcgw.operatorToken'; // shared with the dashboard: one sign-in per tab
const ID = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
let token = sessionStorage.getItem(TOKEN_KEY);
let rfb = null;
let info = null;
let startedAt = 0; // wall clock when the current replay reached `from`
let from = 0; // recording time the current replay started pacing at
let speed = 1;
let tick = null;

async function api(path, opts = {}) {
  const res = await fetch(path, { ...opts, headers: { ...(opts.headers || {}), authorization: `Bearer ${token}`, 'content-type': 'application/json' }, cache: 'no-store' });
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body?.error?.message || `HTTP ${res.status}`), { status: res.status });
  return body;
}

function setStatus(kind, text) {
  const s = $('status');
  s.className = `status ${kind}`;
  s.textContent = text;
  document.body.dataset.state = kind;
}

const fmt = (ms) => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function position() {
  if (!info) return 0;
  if (!Number.isFinite(speed)) return info.durationMs;
  return Math.min(info.durationMs, from + (performance.now() - startedAt) * speed);
}

function showClock() {
  const p = position();
  if (document.activeElement !== $('seek')) $('seek').value = String(Math.round(p));
  $('clock').textContent = `${fmt(p)} / ${fmt(info.durationMs)}`;
  document.body.dataset.position = String(Math.round(p));
}

async function play(at) {
  if (rfb) {
    rfb.disconnect();
    rfb = null;
  }
  const sp = $('speed').value;
  speed = sp === 'max' ? Infinity : Number(sp);
  const { ws } = await api(`/api/v1/recordings/${encodeURIComponent(ID)}/replay`, { method: 'POST', body: JSON.stringify({ at: Math.round(at), speed: sp }) });
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${ws}`;
  $('screen').replaceChildren();
  rfb = new RFB($('screen'), url, { shared: true });
  rfb.viewOnly = true;
  rfb.scaleViewport = true;
  rfb.addEventListener('connect', () => {
    from = at;
    startedAt = performance.now();
    setStatus('connected', at > 0 ? `Playing from ${fmt(at)}` : 'Playing');
  });
  rfb.addEventListener('disconnect', (e) => {
    if (e.target !== rfb) return;
    setStatus('ended', e.detail.clean ? 'Replay closed' : 'Replay connection lost');
  });
}

async function start() {
  try {
    info = await api(`/api/v1/recordings/${encodeURIComponent(ID)}`);
  } catch (e) {
    if (e.status === 401 || e.status === 403) {
      sessionStorage.removeItem(TOKEN_KEY);
      token = null;
      showSignin(e.message);
    } else {
      setStatus('ended', e.message);
    }
    return;
  }
  $('signin').hidden = true;
  $('controls').hidden = false;
  $('title').textContent = `Replay: ${info.serverId}, ${info.startedAt}`;
  $('seek').max = String(info.durationMs);
  const early = [info.cutShort && `cut short: ${info.cutShort}`, info.truncated && `its last block is incomplete (${info.truncated})`].filter(Boolean);
  if (early.length > 0) $('message').textContent = `This recording was ${early.join('; ')}. It plays up to that point.`;
  $('message').hidden = early.length === 0;
  document.body.dataset.cutShort = info.cutShort ? 'yes' : 'no';
  clearInterval(tick);
  tick = setInterval(showClock, 250);
  await play(0);
}

function showSignin(error = '') {
  $('controls').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  setStatus('ended', 'Sign in to replay');
}

$('signin').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = $('token').value.trim();
  $('token').value = '';
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
});
$('speed').addEventListener('change', () => play(position()));
$('restart').addEventListener('click', () => play(0));
$('seek').addEventListener('change', () => play(Number($('seek').value)));

if (token) start(); else showSignin();
