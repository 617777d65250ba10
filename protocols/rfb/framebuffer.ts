import { RfbError } from '../errors.js';
import { LIMITS } from '../limits.js';
import { rgbxWords } from './encodings/pixel-view.js';

/** Rows at least this wide are filled with TypedArray fill; narrower ones (glyph cells) by a loop, cheaper than a call. */
const WIDE_FILL = 64;

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * What a held paint draws, when it is one of the kinds a viewer's first picture can be made from
 * without the pixels (Framebuffer.heldShapes): a rectangle of one colour; of two colours given as
 * one bit a pixel (rows padded to whole bytes, most significant bit first: Tight's two-colour
 * palette data, rfbproto "Tight Encoding"), or those bits still compressed as the server sent them,
 * a zlib stream of their own (`zlib`: header, deflate data ending on a flush; tight.ts); or of RGBX
 * pixels as they came (a small Raw rectangle, raw.ts: 4 bytes a pixel, rows of width * 4, the X byte
 * whatever the server sent). Colours are RGBX words (R in the low byte). The shape is its own
 * rectangle, so the decoder that holds it makes one object, as for a rectangle.
 */
export type HeldShape =
  | (Rect & { fill: number })
  | (Rect & { mono: readonly [number, number]; bits: Buffer })
  | (Rect & { mono: readonly [number, number]; zlib: Buffer })
  | (Rect & { rgbx: Buffer });

/** Paints a reader put off (encodings/paint-queue.ts): run before anyone reads or writes the pixels. */
export interface HeldPaints {
  readonly pending: number;
  flush(): void;
  /** Every waiting paint's shape, oldest first; undefined when one has none. */
  shapes?(): HeldShape[] | undefined;
  /**
   * Runs, in order, the waiting paints up to the newest one that overlaps `rect` (the ones after it
   * touch none of its pixels). False when it could not now (called from within a paint: that paint's
   * own reads come first).
   */
  settleOverlapping(rect: Rect): boolean;
}

/**
 * Where framebuffers get their pixels, and whom they tell when they give them up. The default is
 * plain Buffer.alloc memory and nothing to tell; the gateway installs its own store for its sessions
 * (src/session/pixel-store.ts: SharedArrayBuffers, which V8 does not count as external memory, and a
 * collection started once enough of them are given up).
 */
export interface PixelStore {
  /** `bytes` of zeroed memory. */
  alloc(bytes: number): Buffer;
  /** The framebuffer that had `pixels` no longer uses them (each Buffer given once). */
  discard(pixels: Buffer): void;
}

const PLAIN_PIXELS: PixelStore = { alloc: (bytes) => Buffer.alloc(bytes), discard: () => {} };
let pixelStore: PixelStore = PLAIN_PIXELS;

/** Framebuffers made or resized from now on take their pixels from `store` (undefined: plain Buffer.alloc again). */
export function usePixelStore(store: PixelStore | undefined): void {
  pixelStore = store ?? PLAIN_PIXELS;
}

/**
 * A framebuffer of RGBX pixels: 4 bytes a pixel in memory order R, G, B, X, rows top to bottom,
 * stride `width * 4`. This is the byte layout of the RFB pixel format the gateway asks every
 * upstream server for (32 bpp, depth 24, little-endian, red-shift 0, green-shift 8, blue-shift 16),
 * so Raw pixels copy straight in. One allocation, replaced on resize.
 *
 * Pure data: no events. Whoever drives a decoder learns the changed rectangle from the decoder's
 * result and does its own damage tracking (src/session).
 */
export class Framebuffer {
  width: number;
  height: number;
  #data: Buffer;
  #held: HeldPaints | undefined;
  /** While a decoder draws one rectangle (drawingIn): the only pixels it reads or writes. */
  #scope: Rect | undefined;
  /** What must come before the scope's rectangle has run: later accesses in the same draw need nothing. */
  #scopeSettled = false;

  constructor(width: number, height: number) {
    checkSize(width, height);
    this.width = width;
    this.height = height;
    this.#data = pixelStore.alloc(width * height * 4);
  }

  /** False until `data` is first handed out (to draw, read or settle a paint): until then every pixel is 0. */
  #touched = false;

  /**
   * The screen as shapes, oldest first, when no pixel has been drawn or read since the framebuffer
   * was made: it is then black (every byte 0) with the held paints (holdPaints) drawn on it in
   * order. Undefined otherwise, or when a held paint has no shape.
   *
   * Why: a framebuffer's memory is the kernel's zero pages until written, and the first picture
   * drawn into it faults in every page (768 for 1024x768). On a machine where a fault costs 11 µs
   * that was 8-10 ms of the gateway's ~20 ms CPU an open (BENCHMARKS.md, "A viewer's first picture
   * from the held paints"). A text console's first picture is fills and two-colour rectangles, all
   * held (tight.ts), so a viewer's first update can be made from them (tight-encoder.ts
   * encodeHeldShapes) and the pixels are drawn only when someone needs them.
   */
  heldShapes(): HeldShape[] | undefined {
    if (this.#touched) return undefined;
    const held = this.#held;
    if (!held || held.pending === 0) return [];
    return held.shapes?.();
  }

  /**
   * The owner no longer uses these pixels (a session that ended): the pixel store is told, and may
   * hasten their collection. A hint only: the pixels stay readable by whoever still holds this
   * framebuffer, and are freed once nothing does.
   */
  discard(): void {
    if (this.#discarded) return;
    this.#discarded = true;
    pixelStore.discard(this.#data);
  }

  #discarded = false;

  /**
   * The pixels. Paints a reader holds (holdPaints) are run first, so whoever reads, and the decoders
   * that write, always see every rectangle decoded so far. A caller that keeps the Buffer past its
   * own synchronous work reads what later paints write into it, as it always did.
   */
  get data(): Buffer {
    this.#touched = true;
    const held = this.#held;
    if (held !== undefined && held.pending > 0) {
      // A decoder reads `data` per row or tile; what overlaps its rectangle is settled at the first
      // access (nothing is put off while it draws), so the rest skip the queue's scan.
      if (!this.#scope) held.flush();
      else if (!this.#scopeSettled) this.#scopeSettled = held.settleOverlapping(this.#scope);
    }
    return this.#data;
  }

  /**
   * The reader says a decoder is about to draw `rect` and touches no pixel outside it (every
   * rectangle decoder but CopyRect, whose source lies elsewhere); undefined when it is done. Meanwhile
   * `data` runs only the held paints that must come before it — up to the newest one overlapping
   * `rect` — and the rest keep waiting: they touch none of its pixels, so their order against it does
   * not matter, and a later rectangle may still cover them.
   */
  drawingIn(rect: Rect | undefined): void {
    this.#scope = rect;
    this.#scopeSettled = false;
  }

  /**
   * Paints put off by the reader that decodes into this framebuffer (ServerMessageReaderOptions
   * .deferPaints): they run at the next access to `data` (words(), pairs() and every other pixel
   * accessor go through it). A queue held before is flushed first.
   */
  holdPaints(paints: HeldPaints | undefined): void {
    if (this.#held === paints) return;
    const before = this.#held;
    this.#held = undefined;
    if (before && before.pending > 0) before.flush();
    this.#held = paints;
  }

  /** Replaces the pixel store. Content is kept where the old and new sizes overlap; the rest is black. */
  resize(width: number, height: number): void {
    checkSize(width, height);
    if (width === this.width && height === this.height) return;
    const next = pixelStore.alloc(width * height * 4);
    // Nothing drawn yet (a session's framebuffer resized to the BMC's ServerInit): the old pixels are
    // all 0, as the new ones are, so there is nothing to copy, and the new memory stays untouched.
    if (this.#touched || (this.#held?.pending ?? 0) > 0) {
      const w = Math.min(width, this.width);
      const h = Math.min(height, this.height);
      const data = this.data;
      for (let y = 0; y < h; y++) {
        data.copy(next, y * width * 4, y * this.width * 4, y * this.width * 4 + w * 4);
      }
    }
    this.width = width;
    this.height = height;
    if (!this.#discarded) pixelStore.discard(this.#data);
    this.#discarded = false;
    this.#data = next;
  }

  /** True when the rectangle lies inside the framebuffer. */
  contains(x: number, y: number, width: number, height: number): boolean {
    return x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= this.width && y + height <= this.height;
  }

  /** Throws RFB_ERR_RECT_OUT_OF_BOUNDS naming `field` when the rectangle is outside the framebuffer. */
  checkRect(x: number, y: number, width: number, height: number, field = 'rectangle'): void {
    if (!this.contains(x, y, width, height)) {
      throw new RfbError('RFB_ERR_RECT_OUT_OF_BOUNDS', `${width}x${height}+${x}+${y} lies outside the ${this.width}x${this.height} framebuffer`, field);
    }
  }

  /** Fills a rectangle with one colour. The caller has checked bounds. */
  fillRect(x: number, y: number, width: number, height: number, r: number, g: number, b: number): void {
    if (width <= 0 || height <= 0) return;
    const words = this.words();
    if (words) {
      // One 32-bit store a pixel. Tight/ZRLE/Hextile fills of a text console are many small
      // rectangles (glyph cells, short runs): a Buffer.copy per row cost more in call overhead than
      // the copy itself (issue 14: fillRect's row copies were 9 % of the gateway's CPU at N = 10).
      const v = (r & 0xff) | ((g & 0xff) << 8) | ((b & 0xff) << 16);
      // Wide fills (a BMC clearing lines or the screen: the xterm recording's fills are all 128 px
      // or wider, most the full 800) go to TypedArray fill, one call for the rectangle when its
      // rows are contiguous: a native fill costs far fewer instructions a pixel than this loop.
      if (width === this.width) {
        words.fill(v, y * width, (y + height) * width);
        return;
      }
      if (width >= WIDE_FILL) {
        for (let row = 0; row < height; row++) {
          const start = (y + row) * this.width + x;
          words.fill(v, start, start + width);
        }
        return;
      }
      for (let row = 0; row < height; row++) {
        const start = (y + row) * this.width + x;
        for (let p = start, end = start + width; p < end; p++) words[p] = v;
      }
      return;
    }
    const stride = this.width * 4;
    const d = this.data;
    const rowStart = y * stride + x * 4;
    // Fill the first row pixel by pixel, then copy it down: fast for wide rectangles.
    for (let i = 0, o = rowStart; i < width; i++, o += 4) {
      d[o] = r;
      d[o + 1] = g;
      d[o + 2] = b;
      d[o + 3] = 0;
    }
    const rowBytes = width * 4;
    for (let row = 1; row < height; row++) {
      d.copy(d, rowStart + row * stride, rowStart, rowStart + rowBytes);
    }
  }

  #words: Uint32Array | null = null;
  #wordsOf: Buffer | undefined;

  /**
   * The pixels as 32-bit words (rgbxWords: null on a big-endian host), shared by every caller and
   * made again only when `data` was replaced: encoders and decoders ask for it once a rectangle,
   * and a new typed-array view each time was garbage the collector had to follow.
   */
  words(): Uint32Array | null {
    const data = this.data;
    if (this.#wordsOf !== data) {
      this.#wordsOf = data;
      this.#words = rgbxWords(data);
      this.#pairs =
        this.#words && this.#words.byteOffset % 8 === 0 ? new Float64Array(this.#words.buffer, this.#words.byteOffset, this.#words.length >> 1) : null;
    }
    return this.#words;
  }

  #pairs: Float64Array | null = null;

  /**
   * The same pixels two at a time, as float64s (pixel 2k is the low word of pair k): the Tight
   * decoder's two-colour stores (tight.ts drawTwoColoursInPairs, which says why they are exact).
   * Null when words() is, or when the pixels do not start on an 8-byte boundary. Cached with words().
   */
  pairs(): Float64Array | null {
    this.words();
    return this.#pairs;
  }

  /**
   * Copies RGBX pixels from `src` (rows of `srcStride` bytes, starting at `srcOffset`) into the
   * rectangle. The caller has checked bounds. Does not keep `src`.
   */
  putRgbx(x: number, y: number, width: number, height: number, src: Uint8Array, srcStride = width * 4, srcOffset = 0): void {
    const stride = this.width * 4;
    const rowBytes = width * 4;
    for (let row = 0; row < height; row++) {
      const s = srcOffset + row * srcStride;
      this.data.set(src.subarray(s, s + rowBytes), (y + row) * stride + x * 4);
    }
  }

  /**
   * Copies RGB triplets (3 bytes a pixel, rows of width*3) into the rectangle — the TPIXEL/CPIXEL
   * form Tight and ZRLE use for 32-bpp depth-24 formats. The caller has checked bounds.
   */
  putRgb(x: number, y: number, width: number, height: number, src: Uint8Array, srcOffset = 0): void {
    const stride = this.width * 4;
    const d = this.data;
    let s = srcOffset;
    for (let row = 0; row < height; row++) {
      let o = (y + row) * stride + x * 4;
      for (let col = 0; col < width; col++, o += 4, s += 3) {
        d[o] = src[s]!;
        d[o + 1] = src[s + 1]!;
        d[o + 2] = src[s + 2]!;
        d[o + 3] = 0;
      }
    }
  }

  /** CopyRect semantics: copies an area of this framebuffer to another place (overlap-safe). Caller checked bounds. */
  copyRect(srcX: number, srcY: number, dstX: number, dstY: number, width: number, height: number): void {
    const stride = this.width * 4;
    const rowBytes = width * 4;
    const d = this.data;
    if (dstY > srcY) {
      for (let row = height - 1; row >= 0; row--) {
        const s = (srcY + row) * stride + srcX * 4;
        d.copy(d, (dstY + row) * stride + dstX * 4, s, s + rowBytes);
      }
    } else {
      for (let row = 0; row < height; row++) {
        const s = (srcY + row) * stride + srcX * 4;
        d.copy(d, (dstY + row) * stride + dstX * 4, s, s + rowBytes);
      }
    }
  }

  /** A copy of a rectangle's RGBX pixels, rows packed (width*4 bytes each). */
  getRgbx(x: number, y: number, width: number, height: number): Buffer {
    const out = Buffer.allocUnsafe(width * height * 4);
    const stride = this.width * 4;
    for (let row = 0; row < height; row++) {
      const s = (y + row) * stride + x * 4;
      this.data.copy(out, row * width * 4, s, s + width * 4);
    }
    return out;
  }
}

function checkSize(width: number, height: number): void {
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > LIMITS.maxFramebufferWidth ||
    height > LIMITS.maxFramebufferHeight
  ) {
    throw new RfbError(
      'RFB_ERR_FRAMEBUFFER_SIZE',
      `${width}x${height} is not a usable framebuffer size (1..${LIMITS.maxFramebufferWidth} x 1..${LIMITS.maxFramebufferHeight})`,
      'framebuffer-size',
    );
  }
}
