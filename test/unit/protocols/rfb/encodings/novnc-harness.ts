/**
 * Runs stock noVNC 1.7 decoders (node_modules/@novnc/novnc/core/decoders/*.js, the code our viewers
 * run) in Node with a minimal fake `sock` (the rQ* receive-queue methods they call, with the same
 * semantics as core/websock.js) and a fake `display` that paints fillRect/blitImage/copyImage into an
 * RGBX array. Used as the reference decoder for our encoders and as a second opinion on our vectors.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RectHeader } from '../../../../../protocols/rfb/encodings/types.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const decodersDir = path.resolve(here, '../../../../../node_modules/@novnc/novnc/core/decoders');

interface NoVncDecoder {
  decodeRect(x: number, y: number, w: number, h: number, sock: FakeSock, display: FakeDisplay, depth: number): boolean;
}

const modules: Record<string, string> = {
  raw: 'raw.js',
  copyrect: 'copyrect.js',
  rre: 'rre.js',
  hextile: 'hextile.js',
  zlib: 'zlib.js',
  tight: 'tight.js',
  zrle: 'zrle.js',
};

/** A fresh noVNC decoder of the given kind (one per connection, as in noVNC's RFB class). */
export async function noVncDecoder(kind: keyof typeof modules): Promise<NoVncDecoder> {
  // core/util/logging.js binds to `window.console` when it loads; in Node, the global object stands in.
  const g = globalThis as { window?: unknown };
  if (g.window === undefined) g.window = globalThis;
  const mod = (await import(pathToFileURL(path.join(decodersDir, modules[kind]!)).href)) as { default: new () => NoVncDecoder };
  return new mod.default();
}

export class FakeSock {
  _rQ: Uint8Array;
  _rQi = 0;
  _rQlen: number;
  constructor(data: Uint8Array) {
    // noVNC's rQshiftTo reads `new Uint8Array(this._rQ.buffer, this._rQi, len)`: give it its own buffer.
    this._rQ = new Uint8Array(data);
    this._rQlen = data.length;
  }
  rQwait(_msg: string, num: number): boolean {
    return this._rQlen - this._rQi < num;
  }
  rQlen(): number {
    return this._rQlen - this._rQi;
  }
  rQpeek8(): number {
    return this._rQ[this._rQi]!;
  }
  rQskipBytes(n: number): void {
    this._rQi += n;
  }
  #shift(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + this._rQ[this._rQi++]!;
    return v;
  }
  rQshift8(): number {
    return this.#shift(1);
  }
  rQshift16(): number {
    return this.#shift(2);
  }
  rQshift32(): number {
    return this.#shift(4);
  }
  rQshiftBytes(len: number, copy = true): Uint8Array {
    this._rQi += len;
    return copy ? this._rQ.slice(this._rQi - len, this._rQi) : this._rQ.subarray(this._rQi - len, this._rQi);
  }
  rQpeekBytes(len: number, copy = true): Uint8Array {
    return copy ? this._rQ.slice(this._rQi, this._rQi + len) : this._rQ.subarray(this._rQi, this._rQi + len);
  }
  rQshiftTo(target: Uint8Array, len: number): void {
    target.set(new Uint8Array(this._rQ.buffer, this._rQi, len));
    this._rQi += len;
  }
}

export class FakeDisplay {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.data = new Uint8Array(width * height * 4);
  }
  fillRect(x: number, y: number, w: number, h: number, color: ArrayLike<number>): void {
    for (let row = y; row < y + h; row++)
      for (let col = x; col < x + w; col++) {
        const o = (row * this.width + col) * 4;
        this.data[o] = color[0]!;
        this.data[o + 1] = color[1]!;
        this.data[o + 2] = color[2]!;
        this.data[o + 3] = 0;
      }
  }
  blitImage(x: number, y: number, w: number, h: number, arr: ArrayLike<number>, offset: number): void {
    for (let row = 0; row < h; row++)
      for (let col = 0; col < w; col++) {
        const s = offset + (row * w + col) * 4;
        const o = ((y + row) * this.width + x + col) * 4;
        this.data[o] = arr[s]!;
        this.data[o + 1] = arr[s + 1]!;
        this.data[o + 2] = arr[s + 2]!;
        this.data[o + 3] = 0;
      }
  }
  copyImage(oldX: number, oldY: number, x: number, y: number, w: number, h: number): void {
    const copy = this.data.slice();
    for (let row = 0; row < h; row++)
      for (let col = 0; col < w; col++) {
        const s = ((oldY + row) * this.width + oldX + col) * 4;
        this.data.set(copy.subarray(s, s + 4), ((y + row) * this.width + x + col) * 4);
      }
  }
}

/**
 * Decodes `bytes` (the data of `rects`, back to back) with one noVNC decoder; returns the display's
 * RGBX pixels (X always 0). Throws if a rectangle does not complete or bytes are left over.
 */
export async function decodeWithNoVnc(kind: keyof typeof modules, rects: RectHeader[], bytes: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const dec = await noVncDecoder(kind);
  const sock = new FakeSock(bytes);
  const display = new FakeDisplay(width, height);
  for (const r of rects) {
    if (!dec.decodeRect(r.x, r.y, r.width, r.height, sock, display, 24)) throw new Error(`noVNC ${kind} did not complete ${r.width}x${r.height}+${r.x}+${r.y}`);
  }
  if (sock.rQlen() !== 0) throw new Error(`noVNC ${kind} left ${sock.rQlen()} bytes`);
  return display.data;
}

/** RGB of an RGBX buffer with the X bytes zeroed, for comparisons that ignore X. */
export function rgbOnly(data: Uint8Array): Buffer {
  const out = Buffer.from(data);
  for (let i = 3; i < out.length; i += 4) out[i] = 0;
  return out;
}
