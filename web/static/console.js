// The console page: stock noVNC (loaded unmodified from the @novnc/novnc package at /novnc/core/)
// connected to the gateway's WebSocket with the one-time key from this page's URL.
import RFB from '/novnc/core/rfb.js';
import { $, KEY, fetchStatus as fetchStatusAt, setStatus, showMessage } from '/static/page-common.js';

// X11 keysyms (X11/keysymdef.h) for the special-key menu.
const XK = {
  Control_L: 0xffe3, Alt_L: 0xffe9, Shift_L: 0xffe1, Delete: 0xffff, BackSpace: 0xff08, Tab: 0xff09,
  Return: 0xff0d, Escape: 0xff1b, Print: 0xff61, Sys_Req: 0xff15, F1: 0xffbe, Super_L: 0xffeb,
  Home: 0xff50, End: 0xff57, Page_Up: 0xff55, Page_Down: 0xff56, Insert: 0xff63,
};
const CODE = { Control_L: 'ControlLeft', Alt_L: 'AltLeft', Shift_L: 'ShiftLeft', Delete: 'Delete', Print: 'PrintScreen', Escape: 'Escape', Tab: 'Tab', Return: 'Enter', Super_L: 'MetaLeft', Home: 'Home', End: 'End', Page_Up: 'PageUp', Page_Down: 'PageDown', Insert: 'Insert', BackSpace: 'Backspace' };
const fkey = (n) => ({ sym: XK.F1 + n - 1, code: `F${n}` });
const key = (name) => ({ sym: XK[name], code: CODE[name] });

/** Menu entries: a list of keys pressed in order and released in reverse. */
const SPECIAL = [
  ['Ctrl+Alt+Del', [key('Control_L'), key('Alt_L'), key('Delete')]],
  ['Ctrl+Alt+Backspace', [key('Control_L'), key('Alt_L'), key('BackSpace')]],
  ['Alt+SysRq (Alt+Print)', [key('Alt_L'), key('Print')]],
  ['Alt+Tab', [key('Alt_L'), key('Tab')]],
  ['Escape', [key('Escape')]],
  ['Windows key', [key('Super_L')]],
  ...Array.from({ length: 12 }, (_, i) => [`F${i + 1}`, [fkey(i + 1)]]),
  ...Array.from({ length: 12 }, (_, i) => [`Ctrl+Alt+F${i + 1}`, [key('Control_L'), key('Alt_L'), fkey(i + 1)]]),
  ['Alt+F4', [key('Alt_L'), fkey(4)]],
];

let rfb = null;
let ended = false;
let statusTimer = null;

const fetchStatus = () => fetchStatusAt(`/api/v1/viewer/${encodeURIComponent(KEY)}/status`, 'this console URL is not valid');

function pressSequence(keys) {
  if (!rfb) return;
  for (const k of keys) rfb.sendKey(k.sym, k.code, true);
  for (const k of [...keys].reverse()) rfb.sendKey(k.sym, k.code, false);
  rfb.focus();
}

// US-layout characters that need Shift held (for consoles that map keysyms to scancodes).
const SHIFTED = new Set('~!@#$%^&*()_+{}|:"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ');

function typeText(text) {
  if (!rfb) return;
  for (const ch of text.replace(/\r\n/g, '\n')) {
    if (ch === '\n') { rfb.sendKey(XK.Return, 'Enter'); continue; }
    if (ch === '\t') { rfb.sendKey(XK.Tab, 'Tab'); continue; }
    const cp = ch.codePointAt(0);
    const sym = cp >= 0x20 && cp <= 0xff ? cp : 0x01000000 | cp; // X11 Unicode keysyms
    const shift = SHIFTED.has(ch);
    if (shift) rfb.sendKey(XK.Shift_L, 'ShiftLeft', true);
    rfb.sendKey(sym, null, true);
    rfb.sendKey(sym, null, false);
    if (shift) rfb.sendKey(XK.Shift_L, 'ShiftLeft', false);
  }
  rfb.focus();
}

async function finish(fallback) {
  if (ended) return;
  ended = true;
  clearInterval(statusTimer);
  const st = await fetchStatus();
  const reason = st?.reason || fallback;
  setStatus('ended', 'Disconnected');
  showMessage(`The console is closed: ${reason}`);
  for (const el of document.querySelectorAll('#toolbar button, #toolbar select')) el.disabled = true;
}

let viewOnly = false;

/** Applies what the status endpoint says: view-only role, input-idle warning, BMC reconnecting. */
function applyStatus(st) {
  if (!st || ended) return;
  if (st.viewOnly && !viewOnly) {
    viewOnly = true;
    rfb.viewOnly = true;
    $('viewonly').hidden = false;
    for (const id of ['cad', 'keys', 'paste']) $(id).disabled = true;
  }
  const w = $('warning');
  w.hidden = !st.warning;
  w.textContent = st.warning || '';
  if (st.state === 'reconnecting') setStatus('reconnecting', 'BMC link lost — reconnecting…');
  else if (st.state === 'connected') setStatus('connected', 'Connected');
}

function connect() {
  if (!KEY) {
    finish('this page needs a console URL from the API');
    return;
  }
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/${encodeURIComponent(KEY)}`;
  rfb = new RFB($('screen'), url, { shared: true });
  rfb.scaleViewport = true;
  rfb.resizeSession = false;
  rfb.focusOnClick = true;
  rfb.addEventListener('connect', () => {
    setStatus('connected', 'Connected');
    rfb.focus();
    // The key has been used up: keep it out of the address bar and history.
    history.replaceState(null, '', '/console/');
    fetchStatus().then(applyStatus);
    statusTimer = setInterval(async () => applyStatus(await fetchStatus()), 5000);
  });
  rfb.addEventListener('disconnect', (e) => finish(e.detail.clean ? 'the session ended' : 'the connection to the gateway was lost'));
  rfb.addEventListener('desktopname', (e) => {
    $('title').textContent = e.detail.name;
    document.title = `${e.detail.name} — console`;
  });
  window.rfb = rfb; // for operators' debugging from the browser console
}

function initToolbar() {
  const sel = $('keys');
  SPECIAL.forEach(([label], i) => {
    const o = document.createElement('option');
    o.value = String(i);
    o.textContent = label;
    sel.append(o);
  });
  sel.addEventListener('change', () => {
    if (sel.value !== '') pressSequence(SPECIAL[Number(sel.value)][1]);
    sel.value = '';
  });
  $('cad').addEventListener('click', () => { rfb?.sendCtrlAltDel(); rfb?.focus(); });
  $('paste').addEventListener('click', () => $('paste-dialog').showModal());
  $('paste-dialog').addEventListener('close', () => {
    if ($('paste-dialog').returnValue === 'send') typeText($('paste-text').value);
    $('paste-text').value = '';
  });
  $('scale').addEventListener('click', () => {
    if (!rfb) return;
    rfb.scaleViewport = !rfb.scaleViewport;
    rfb.clipViewport = !rfb.scaleViewport;
    $('scale').textContent = rfb.scaleViewport ? '1:1' : 'Scale to window';
  });
  $('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
}

initToolbar();
connect();
