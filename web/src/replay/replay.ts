// The replay page: stock noVNC (bundled unmodified) connected to the gateway's replay WebSocket,
// which plays a recorded FBS file as an RFB server. Speed and seek open a new replay from the start
// (fast up to the seek position, then paced), so the position shown here is this page's own clock.
import RFB from '@novnc/novnc';
import type { RecordingDetail, ReplayAnswer } from '../../../src/api/api-types.js';
import { $, setStatus } from '../common/dom.js';
import { wsUrl } from '../common/location.js';
import { t, translatePage } from '../common/i18n.js';
import { api, isAuthError, onSignin, storedToken, storeToken } from '../common/operator-api.js';
import '../console/console.css';
import './replay.css';

const ID = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
let rfb: RFB | null = null;
let info: RecordingDetail | null = null;
let startedAt = 0; // wall clock when the current replay reached `from`
let from = 0; // recording time the current replay started pacing at
let speed = 1;
let tick: ReturnType<typeof setInterval> | undefined;

const seek = () => $<HTMLInputElement>('seek');

const fmt = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

function position(): number {
  if (!info) return 0;
  if (!Number.isFinite(speed)) return info.durationMs;
  return Math.min(info.durationMs, from + (performance.now() - startedAt) * speed);
}

function showClock(): void {
  if (!info) return;
  const p = position();
  if (document.activeElement !== seek()) seek().value = String(Math.round(p));
  $('clock').textContent = `${fmt(p)} / ${fmt(info.durationMs)}`;
  document.body.dataset.position = String(Math.round(p));
}

async function play(at: number): Promise<void> {
  if (rfb) {
    rfb.disconnect();
    rfb = null;
  }
  const sp = $<HTMLSelectElement>('speed').value;
  speed = sp === 'max' ? Infinity : Number(sp);
  const { ws } = await api<ReplayAnswer>(`/api/v1/recordings/${encodeURIComponent(ID)}/replay`, { method: 'POST', body: { at: Math.round(at), speed: sp } });
  $('screen').replaceChildren();
  const r = new RFB($('screen'), wsUrl(ws), { shared: true });
  rfb = r;
  r.viewOnly = true;
  r.scaleViewport = true;
  r.addEventListener('connect', () => {
    from = at;
    startedAt = performance.now();
    setStatus('connected', at > 0 ? t('replay.playingFrom', { at: fmt(at) }) : t('replay.playing'));
  });
  r.addEventListener('disconnect', (e) => {
    if (rfb !== r) return;
    setStatus('ended', e.detail.clean ? t('replay.closed') : t('replay.lost'));
  });
}

async function start(): Promise<void> {
  try {
    info = await api<RecordingDetail>(`/api/v1/recordings/${encodeURIComponent(ID)}`);
  } catch (e) {
    if (isAuthError(e)) {
      storeToken(null);
      showSignin((e as Error).message);
    } else {
      setStatus('ended', (e as Error).message);
    }
    return;
  }
  $('signin').hidden = true;
  $('controls').hidden = false;
  $('title').textContent = t('replay.pageTitle', { server: info.serverName ?? info.serverId, at: new Date(info.startedAt).toLocaleString() });
  seek().max = String(info.durationMs);
  // Cut short by a crash of the gateway, and/or a last block that is incomplete: it plays up to there.
  const early = [info.cutShort && t('replay.cutShort', { why: info.cutShort }), info.truncated && t('replay.incomplete', { why: info.truncated })].filter(
    Boolean,
  );
  if (early.length > 0) $('message').textContent = t('replay.endsEarly', { what: early.join('; ') });
  $('message').hidden = early.length === 0;
  document.body.dataset.cutShort = info.cutShort ? 'yes' : 'no';
  clearInterval(tick);
  tick = setInterval(showClock, 250);
  await play(0);
}

function showSignin(error = ''): void {
  $('controls').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = error;
  setStatus('ended', t('replay.signIn'));
}

onSignin($<HTMLFormElement>('signin'), $<HTMLInputElement>('token'), () => void start());
$('speed').addEventListener('change', () => void play(position()));
$('restart').addEventListener('click', () => void play(0));
seek().addEventListener('change', () => void play(Number(seek().value)));

translatePage();
if (storedToken()) void start();
else showSignin();
