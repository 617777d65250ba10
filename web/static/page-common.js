// Shared by the console and serial-console pages: the one-time key from the page's URL, the status
// badge, the closing message, and the status endpoint that says how the session behind the key is.

export const KEY = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() || '');
export const $ = (id) => document.getElementById(id);

export function setStatus(kind, text) {
  const s = $('status');
  s.className = `status ${kind}`;
  s.textContent = text;
  document.body.dataset.state = kind;
}

export function showMessage(text) {
  const m = $('message');
  m.textContent = text;
  m.hidden = false;
}

/**
 * GET `statusPath` (e.g. /api/v1/viewer/KEY/status): the session's state, or {state:'ended', reason}
 * when the key is not (or no longer) valid, or null when the gateway cannot be reached.
 */
export async function fetchStatus(statusPath, invalidText) {
  try {
    const r = await fetch(statusPath, { cache: 'no-store' });
    const body = await r.json();
    if (!r.ok) return { state: 'ended', reason: body?.error?.message || invalidText };
    return body;
  } catch {
    return null;
  }
}
