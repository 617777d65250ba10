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
 * photo-like screen, which PNG compresses badly) is not sent: the page would then take longer to
 * arrive than noVNC takes to draw.
 */
export const PREVIEW_MAX_WIDTH = 1920;
export const PREVIEW_MAX_BYTES = 1024 * 1024;

/**
 * One PNG per picture: the pages of many keys for an unchanged console share one encode. Keyed by the
 * session's change count (Session.fbChanges), so a kept PNG is never older than the screen; the
 * WeakMap lets an ended session's PNG go with it.
 */
const kept = new WeakMap<Session, { changes: number; png: Promise<Buffer> }>();

/** The PNG of the session's screen now, or undefined when it has none (no update from the BMC yet, ended) or it is too large. */
export async function screenPreview(s: Session): Promise<Buffer | undefined> {
  // hasPicture is set at the BMC's ServerInit; the screen is its picture once the first update is in.
  if (!s.hasPicture || s.updatesIn === 0 || s.state === 'ended') return undefined;
  let entry = kept.get(s);
  if (!entry || entry.changes !== s.fbChanges) {
    const fresh = { changes: s.fbChanges, png: thumbnailPngAsync(s.fb, PREVIEW_MAX_WIDTH) };
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
