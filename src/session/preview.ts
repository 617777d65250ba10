import type { Session } from './session.js';
import { thumbnailPngAsync } from './thumbnail.js';

/**
 * The console page's first picture (issue 14 goal 1): the session's screen as the gateway holds it
 * when the page is asked for, as a PNG put into the page's HTML, so the customer sees the console
 * while noVNC (most of the page's script) is still being compiled and started, instead of a blank
 * area for a few hundred milliseconds. noVNC's first update replaces it (web/src/console/).
 *
 * Only the pages of unused one-time keys get it (viewer-routes.ts): a key shows its console once,
 * like the WebSocket it stands for. Screens wider than PREVIEW_MAX_WIDTH are box-averaged down
 * (the page scales the picture to its window anyway), and a PNG larger than PREVIEW_MAX_BYTES (a
 * photo-like screen, which PNG compresses badly; a text console is 10-40 KB) is not sent: it would
 * outweigh the page's whole script (noVNC, ~224 KB), and noVNC draws such screens sooner.
 */
export const PREVIEW_MAX_WIDTH = 1920;
export const PREVIEW_MAX_BYTES = 256 * 1024;
/** A kept PNG is reused for this long even if the screen has changed since (bounds the encodes a busy screen costs). */
export const PREVIEW_REUSE_MS = 1000;
/** How long the page waits for a just-opened console's first update before it goes without a picture. */
export const FIRST_UPDATE_WAIT_MS = 500;

/**
 * One PNG per picture: the pages of many keys for an unchanged console share one encode. Keyed by the
 * session's change count (Session.fbChanges); on a screen that keeps changing, a PNG up to
 * PREVIEW_REUSE_MS old is reused, so however often the page is asked for, a session costs at most
 * one encode a second (noVNC replaces the picture within moments anyway). The WeakMap lets an ended
 * session's PNG go with it.
 */
const kept = new WeakMap<Session, { changes: number; at: number; png: Promise<Buffer> }>();

/** The PNG of the session's screen now, or undefined when it has none (no update from the BMC yet, ended) or it is too large. */
export async function screenPreview(s: Session): Promise<Buffer | undefined> {
  // hasPicture is set at the BMC's ServerInit; the screen is its picture once the first update is in.
  // A console opened a moment ago (the panel's call answers at ServerInit) waits for it, a little:
  // the customer would wait for that update anyway, and then sees it without noVNC.
  if (s.hasPicture && s.updatesIn === 0) await s.firstUpdate(FIRST_UPDATE_WAIT_MS);
  if (!s.hasPicture || s.updatesIn === 0 || s.state === 'ended') return undefined;
  let entry = kept.get(s);
  const now = performance.now();
  if (!entry || (entry.changes !== s.fbChanges && now - entry.at >= PREVIEW_REUSE_MS)) {
    const fresh = { changes: s.fbChanges, at: now, png: thumbnailPngAsync(s.fb, PREVIEW_MAX_WIDTH) };
    kept.set(s, fresh);
    fresh.png.catch(() => kept.get(s) === fresh && kept.delete(s)); // the caller hears of it; the next page tries again
    entry = fresh;
  }
  const png = await entry.png;
  return png.length <= PREVIEW_MAX_BYTES ? png : undefined;
}

/** The `<img>` the console page shows until noVNC has drawn (its styles: web/src/console/console.css). */
export function previewImg(png: Buffer): string {
  return `<img id="preview" alt="" aria-hidden="true" src="data:image/png;base64,${png.toString('base64')}">`;
}
