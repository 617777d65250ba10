// The console page's body, loaded by console.ts once it has opened the WebSocket: stock noVNC
// (bundled unmodified from @novnc/novnc) on that socket, the toolbar, the status and the end reason.
import RFB from '@novnc/novnc';
import type { ViewerStatus } from '../../../src/api/api-types.js';
import { $, setStatus, showMessage } from '../common/dom.js';
import { lang, t, translatePage } from '../common/i18n.js';
import type { MessageKey } from '../common/messages.js';
import { closedReason } from '../common/page-end.js';
import { fetchStatus } from '../common/page-key.js';
import type { EarlySocket } from './early-socket.js';
import { SHIFTED, SPECIAL_KEYS, XK, type KeyStroke } from './special-keys.js';

let KEY = '';
let earlySocket: EarlySocket | undefined;
let rfb: RFB | null = null;
let ended = false;
let viewOnly = false;
let statusTimer: ReturnType<typeof setInterval> | undefined;

const status = () => fetchStatus<ViewerStatus>(`/api/v1/viewer/${encodeURIComponent(KEY)}/status`);

function pressSequence(keys: readonly KeyStroke[]): void {
  if (!rfb) return;
  for (const k of keys) rfb.sendKey(k.sym, k.code, true);
  for (const k of [...keys].reverse()) rfb.sendKey(k.sym, k.code, false);
  rfb.focus();
}

function typeText(text: string): void {
  if (!rfb) return;
  for (const ch of text.replace(/\r\n/g, '\n')) {
    if (ch === '\n') {
      rfb.sendKey(XK.Return, 'Enter');
      continue;
    }
    if (ch === '\t') {
      rfb.sendKey(XK.Tab, 'Tab');
      continue;
    }
    const cp = ch.codePointAt(0)!;
    const sym = cp >= 0x20 && cp <= 0xff ? cp : 0x01000000 | cp; // X11 Unicode keysyms
    const shift = SHIFTED.has(ch);
    if (shift) rfb.sendKey(XK.Shift_L, 'ShiftLeft', true);
    rfb.sendKey(sym, null, true);
    rfb.sendKey(sym, null, false);
    if (shift) rfb.sendKey(XK.Shift_L, 'ShiftLeft', false);
  }
  rfb.focus();
}

/** The gateway's picture of the screen in the page's HTML (src/session/preview.ts), shown until noVNC has drawn. */
function removePreview(): void {
  document.getElementById('preview')?.remove();
}

async function finish(fallback: MessageKey): Promise<void> {
  if (ended) return;
  ended = true;
  removePreview(); // a console that did not open must not look open
  clearInterval(statusTimer);
  const reason = KEY ? closedReason(await status(), earlySocket?.closeEvent?.reason || undefined, fallback) : t(fallback);
  setStatus('ended', t('status.disconnected'));
  showMessage(t('console.closed', { reason }));
  for (const e of document.querySelectorAll<HTMLButtonElement | HTMLSelectElement>('#toolbar button, #toolbar select')) e.disabled = true;
}

/** Applies what the status endpoint says: view-only role, input-idle warning, BMC reconnecting. */
function applyStatus(answer: Awaited<ReturnType<typeof status>>): void {
  if (!answer?.ok || ended || !rfb) return;
  const st = answer.status;
  if (st.viewOnly && !viewOnly) {
    viewOnly = true;
    rfb.viewOnly = true;
    $('viewonly').hidden = false;
    for (const id of ['cad', 'keys', 'paste']) $<HTMLButtonElement>(id).disabled = true;
  }
  const w = $('warning');
  const warning = st.warningCode && lang !== 'en' ? t('console.inputIdleWarning') : st.warning;
  w.hidden = !warning;
  w.textContent = warning ?? '';
  if (st.state === 'reconnecting') setStatus('reconnecting', t('status.reconnecting'));
  else if (st.state === 'connected') setStatus('connected', t('status.connected'));
}

function connect(): void {
  if (!KEY || !earlySocket) {
    void finish('end.noConsoleKey');
    return;
  }
  if (earlySocket.readyState === WebSocket.CLOSED) {
    // Refused before noVNC was ready (a used key, an ended session): nothing to hand over.
    void finish('end.lost');
    return;
  }
  const r = new RFB($('screen'), earlySocket, { shared: true });
  rfb = r;
  r.scaleViewport = true;
  r.resizeSession = false;
  r.focusOnClick = true;
  r.addEventListener('connect', () => {
    // noVNC asks for its first (whole-screen) update now; once it has drawn it, the preview goes.
    earlySocket?.afterNextUpdate(() => requestAnimationFrame(removePreview));
    setStatus('connected', t('status.connected'));
    r.focus();
    // The key has been used up: keep it out of the address bar and history.
    history.replaceState(null, '', '/console/');
    void status().then(applyStatus);
    statusTimer = setInterval(() => void status().then(applyStatus), 5000);
  });
  r.addEventListener('disconnect', (e) => void finish(e.detail.clean ? 'end.ended' : 'end.lost'));
  r.addEventListener('desktopname', (e) => {
    $('title').textContent = e.detail.name;
    document.title = t('console.pageTitle', { name: e.detail.name });
  });
  (window as unknown as { rfb: RFB }).rfb = r; // for operators' debugging from the browser console
}

function initToolbar(): void {
  const sel = $<HTMLSelectElement>('keys');
  SPECIAL_KEYS.forEach(([label], i) => sel.append(new Option(label ?? t('keys.windows'), String(i))));
  sel.addEventListener('change', () => {
    const entry = SPECIAL_KEYS[Number(sel.value)];
    if (sel.value !== '' && entry) pressSequence(entry[1]);
    sel.value = '';
  });
  $('cad').addEventListener('click', () => {
    rfb?.sendCtrlAltDel();
    rfb?.focus();
  });
  const dialog = $<HTMLDialogElement>('paste-dialog');
  const text = $<HTMLTextAreaElement>('paste-text');
  $('paste').addEventListener('click', () => dialog.showModal());
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'send') typeText(text.value);
    text.value = '';
  });
  $('scale').addEventListener('click', () => {
    if (!rfb) return;
    rfb.scaleViewport = !rfb.scaleViewport;
    rfb.clipViewport = !rfb.scaleViewport;
    $('scale').textContent = rfb.scaleViewport ? t('console.oneToOne') : t('console.scaleToWindow');
  });
  $('fullscreen').addEventListener('click', () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else document.documentElement.requestFullscreen().catch(() => {});
  });
}

/** Runs the page with the key and the socket console.ts opened (none without a key). */
export function start(key: string, socket: EarlySocket | undefined): void {
  KEY = key;
  earlySocket = socket;
  translatePage();
  initToolbar();
  connect();
}
