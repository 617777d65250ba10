import type { Framebuffer, Rect } from '../../protocols/rfb/framebuffer.js';
import type { EncodedRect, RectEncoder } from '../../protocols/rfb/encodings/types.js';

/**
 * Encoded rectangles of the shadow framebuffer as it is now, shared by the viewers of one session:
 * when two viewers are sent the same area of the same pixels with the same (shareable) encoder, the
 * second gets the first one's bytes instead of encoding again (issue 14: 50 viewers cost 4.6x the CPU
 * of one, each encoding the same update for itself).
 *
 * Validity: an entry holds the pixels of its area at the time it was encoded. The session calls
 * invalidate() on every change it is told of (damage, copy, resize), and a source reports every
 * write to the framebuffer as damage in the same turn as the write, so no entry outlives a change
 * that a viewer could be sent. Only `shareable` encoders are cached (Tight resets its zlib streams
 * per rectangle and Raw has no state; ZRLE's one stream per viewer is not shareable).
 *
 * Bounded: at most MAX_BYTES of encoded data (past that, encodes are not kept), and emptied on the
 * next change, so an idle session holds at most one screen's worth.
 */
export class EncodeCache {
  static readonly MAX_BYTES = 8 * 1024 * 1024;
  readonly #entries = new Map<RectEncoder, Map<string, EncodedRect[]>>();
  #bytes = 0;
  /** Encodes served from the cache / done and kept, for tests and metrics. */
  hits = 0;
  misses = 0;

  /** The framebuffer changed: everything kept is stale. */
  invalidate(): void {
    if (this.#bytes === 0 && this.#entries.size === 0) return;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** `encoder.encodeRect(fb, r)`, or the same bytes encoded earlier for an identical request. */
  encode(encoder: RectEncoder, fb: Framebuffer, r: Rect): EncodedRect[] {
    if (!encoder.shareable) return encoder.encodeRect(fb, r);
    let byRect = this.#entries.get(encoder);
    if (!byRect) this.#entries.set(encoder, (byRect = new Map<string, EncodedRect[]>()));
    const key = `${r.x},${r.y},${r.width},${r.height}`;
    const kept = byRect.get(key);
    if (kept) {
      this.hits++;
      return kept;
    }
    this.misses++;
    const out = encoder.encodeRect(fb, r);
    let n = 0;
    for (const b of out) n += b.length;
    if (this.#bytes + n <= EncodeCache.MAX_BYTES) {
      byRect.set(key, out);
      this.#bytes += n;
    }
    return out;
  }
}
