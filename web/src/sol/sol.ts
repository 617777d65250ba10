// The serial console page: xterm.js (bundled unmodified from @xterm/xterm) over the gateway's
// WebSocket /sol-ws/KEY. Binary frames are the serial bytes both ways; text frames are JSON control
// messages ({"type":"state",…} and {"type":"notice","text":…} from the gateway, {"type":"break"} to it).
import { Terminal } from '@xterm/xterm';
import type { SolViewerStatus } from '../../../src/api/api-types.js';
import { $, setStatus, showMessage } from '../common/dom.js';
import { pageKey, wsUrl } from '../common/location.js';
import { t, translatePage } from '../common/i18n.js';
import type { MessageKey } from '../common/messages.js';
import { closedReason } from '../common/page-end.js';
import { fetchStatus } from '../common/page-key.js';
import '@xterm/xterm/css/xterm.css';
import './sol.css';

const KEY = pageKey();
// Opened before the terminal is set up: the gateway starts activating SOL while the page draws.
const ws = KEY ? new WebSocket(wsUrl(`/sol-ws/${encodeURIComponent(KEY)}`)) : undefined;
if (ws) ws.binaryType = 'arraybuffer';
const encoder = new TextEncoder();
let ended = false;
// Counters for tests and support: bytes each way and a running FNV-1a hash of what was received.
const stats = { bytesIn: 0, bytesOut: 0, hashIn: 0x811c9dc5 };

const status = () => fetchStatus<SolViewerStatus>(`/api/v1/sol-viewer/${encodeURIComponent(KEY)}/status`);

const term = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000, fontSize: 15 });

/** xterm's measured cell size (no fit addon: it is the one number we need from it). */
function cellSize(): { width: number; height: number } | undefined {
  const core = (term as unknown as { _core?: { _renderService?: { dimensions?: { css?: { cell?: { width: number; height: number } } } } } })._core;
  return core?._renderService?.dimensions?.css?.cell;
}

function fit(): void {
  const e = $('terminal');
  const dims = cellSize();
  if (!dims || !dims.width || !dims.height) return;
  const cols = Math.max(20, Math.floor((e.clientWidth - 8) / dims.width));
  const rows = Math.max(5, Math.floor((e.clientHeight - 8) / dims.height));
  if (cols !== term.cols || rows !== term.rows) term.resize(cols, rows);
}

function send(bytes: Uint8Array): void {
  if (!ws || ws.readyState !== WebSocket.OPEN || ended) return;
  stats.bytesOut += bytes.length;
  ws.send(bytes);
}

async function finish(fallback: MessageKey, socketReason?: string): Promise<void> {
  if (ended) return;
  ended = true;
  const reason = KEY ? closedReason(await status(), socketReason, fallback) : t(fallback);
  setStatus('ended', t('status.disconnected'));
  showMessage(t('sol.closed', { reason }));
  term.options.disableStdin = true;
  for (const e of document.querySelectorAll<HTMLButtonElement>('#toolbar button')) e.disabled = true;
}

function onControl(text: string): void {
  let msg: { type?: unknown; state?: unknown; text?: unknown };
  try {
    msg = JSON.parse(text) as typeof msg;
  } catch {
    return;
  }
  if (msg.type === 'state' && msg.state === 'active') {
    setStatus('connected', t('status.connected'));
    term.focus();
    void status().then((a) => {
      if (a?.ok && a.status.server) {
        $('title').textContent = t('sol.pageTitle', { name: a.status.server });
        document.title = t('sol.pageTitle', { name: a.status.server });
      }
    });
  } else if (msg.type === 'state' && msg.state === 'activating') {
    setStatus('activating', t('sol.activating'));
  } else if (msg.type === 'notice' && typeof msg.text === 'string') {
    showMessage(msg.text); // e.g. a BREAK on a console that has none (OpenBMC's console0)
  }
}

function connect(): void {
  term.open($('terminal'));
  fit();
  window.addEventListener('resize', fit);
  if (!ws) {
    void finish('end.noSolKey');
    return;
  }
  // Typed text goes out as UTF-8; onBinary carries the few byte-valued reports xterm makes.
  term.onData((text) => send(encoder.encode(text)));
  term.onBinary((bin) => send(Uint8Array.from(bin, (c) => c.charCodeAt(0) & 0xff)));
  $('break').addEventListener('click', () => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'break' }));
    term.focus();
  });
  $('clear').addEventListener('click', () => {
    term.clear();
    term.focus();
  });
  const opened = () => history.replaceState(null, '', '/sol/'); // the key is used up: keep it out of the history
  if (ws.readyState === WebSocket.OPEN) opened();
  else ws.addEventListener('open', opened);
  ws.addEventListener('message', (e: MessageEvent<ArrayBuffer | string>) => {
    if (typeof e.data === 'string') {
      onControl(e.data);
      return;
    }
    const bytes = new Uint8Array(e.data);
    stats.bytesIn += bytes.length;
    let h = stats.hashIn;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
    stats.hashIn = h;
    term.write(bytes);
  });
  ws.addEventListener('close', (e) => void finish(e.wasClean ? 'end.solEnded' : 'end.lost', e.reason || undefined));
}

// For tests and debugging from the devtools console.
(window as unknown as { sol: unknown }).sol = { term, stats, send: (text: string) => send(encoder.encode(text)) };
translatePage();
connect();
