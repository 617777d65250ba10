// The serial console page: xterm.js (loaded unmodified from the @xterm/xterm package at /xterm/)
// over the gateway's WebSocket /sol-ws/KEY. Binary frames are the serial bytes both ways; text frames
// are JSON control messages ({"type":"state",…} and {"type":"notice","text":…} from the gateway,
// {"type":"break"} to it).
import { Terminal } from '/xterm/lib/xterm.mjs';
import { $, KEY, fetchStatus as fetchStatusAt, setStatus, showMessage } from '/static/page-common.js';
const encoder = new TextEncoder();

let ws = null;
let ended = false;
// Counters for tests and support: bytes each way and a running FNV-1a hash of what was received.
const stats = { bytesIn: 0, bytesOut: 0, hashIn: 0x811c9dc5 };

const fetchStatus = () => fetchStatusAt(`/api/v1/sol-viewer/${encodeURIComponent(KEY)}/status`, 'this serial console URL is not valid');

const term = new Terminal({ convertEol: false, cursorBlink: true, scrollback: 5000, fontSize: 15 });

function fit() {
  // Rows and columns from the element's size and xterm's measured cell (no fit addon needed).
  const el = $('terminal');
  const dims = term._core?._renderService?.dimensions?.css?.cell;
  if (!dims || !dims.width || !dims.height) return;
  const cols = Math.max(20, Math.floor((el.clientWidth - 8) / dims.width));
  const rows = Math.max(5, Math.floor((el.clientHeight - 8) / dims.height));
  if (cols !== term.cols || rows !== term.rows) term.resize(cols, rows);
}

function send(bytes) {
  if (!ws || ws.readyState !== WebSocket.OPEN || ended) return;
  stats.bytesOut += bytes.length;
  ws.send(bytes);
}

async function finish(fallback) {
  if (ended) return;
  ended = true;
  const st = await fetchStatus();
  const reason = (st && st.state === 'ended' && st.reason) || fallback;
  setStatus('ended', 'Disconnected');
  showMessage(`The serial console is closed: ${reason}`);
  term.options.disableStdin = true;
  for (const el of document.querySelectorAll('#toolbar button')) el.disabled = true;
}

function connect() {
  term.open($('terminal'));
  fit();
  window.addEventListener('resize', fit);
  if (!KEY) {
    finish('this page needs a serial console URL from the API');
    return;
  }
  // Typed text goes out as UTF-8; onBinary carries the few byte-valued reports xterm makes.
  term.onData((text) => send(encoder.encode(text)));
  term.onBinary((bin) => send(Uint8Array.from(bin, (c) => c.charCodeAt(0) & 0xff)));
  $('break').addEventListener('click', () => {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'break' }));
    term.focus();
  });
  $('clear').addEventListener('click', () => { term.clear(); term.focus(); });

  ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/sol-ws/${encodeURIComponent(KEY)}`);
  ws.binaryType = 'arraybuffer';
  ws.addEventListener('open', () => {
    // The key has been used up: keep it out of the address bar and history.
    history.replaceState(null, '', '/sol/');
  });
  ws.addEventListener('message', (e) => {
    if (typeof e.data === 'string') {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      if (msg.type === 'state' && msg.state === 'active') {
        setStatus('connected', 'Connected');
        term.focus();
        fetchStatus().then((st) => {
          if (st?.server) { $('title').textContent = `${st.server} — serial console`; document.title = `${st.server} — serial console`; }
        });
      } else if (msg.type === 'state' && msg.state === 'activating') {
        setStatus('activating', 'Activating SOL…');
      } else if (msg.type === 'notice' && typeof msg.text === 'string') {
        showMessage(msg.text); // e.g. a BREAK on a console that has none (OpenBMC's console0)
      }
      return;
    }
    const bytes = new Uint8Array(e.data);
    stats.bytesIn += bytes.length;
    let h = stats.hashIn;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
    stats.hashIn = h;
    term.write(bytes);
  });
  ws.addEventListener('close', (e) => finish(e.reason || (e.wasClean ? 'the serial console ended' : 'the connection to the gateway was lost')));
}

// For tests and debugging from the devtools console.
window.sol = { term, stats, send: (text) => send(encoder.encode(text)) };
connect();
