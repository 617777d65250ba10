import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';

/**
 * The demo console's bitmap font, drawn by hand for this project: 5x8 glyphs (rows 0-6 for capitals
 * and digits, row 7 for descenders of g, j, p, q, y and the underscore) covering printable ASCII
 * 0x20-0x7E, plus an em dash for the header line. Every glyph is distinct (a unit test checks), so a
 * test can find typed text on the screen by comparing pixels with renderText().
 *
 * On screen each glyph bit is a 2x2 block in a 12x20 cell (1 px margin left/right, 2 px top/bottom),
 * which gives 85x38 cells on a 1024x768 framebuffer — a BIOS-console look that stays legible.
 */

/** RGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 8;
export const FONT_SCALE = 2;
export const CELL_WIDTH = GLYPH_WIDTH * FONT_SCALE + 2;
export const CELL_HEIGHT = GLYPH_HEIGHT * FONT_SCALE + 4;
const MARGIN_X = 1;
const MARGIN_Y = 2;

/**
 * One string per code point from 0x20: eight rows as hex bytes, top row first, bit 4 the leftmost
 * column.
 */
const ASCII_GLYPHS: readonly string[] = [
  '0000000000000000', // 20 space
  '0404040404000400', // 21 !
  '0a0a0a0000000000', // 22 "
  '0a0a1f0a1f0a0a00', // 23 #
  '040f140e051e0400', // 24 $
  '1819020408130300', // 25 %
  '0c12140815120d00', // 26 &
  '0404080000000000', // 27 apostrophe
  '0204080808040200', // 28 (
  '0804020202040800', // 29 )
  '0004150e15040000', // 2a *
  '0004041f04040000', // 2b +
  '00000000000c0408', // 2c ,
  '0000000e00000000', // 2d -
  '00000000000c0c00', // 2e .
  '0001020408100000', // 2f /
  '0e11131519110e00', // 30 0
  '040c040404040e00', // 31 1
  '0e11010204081f00', // 32 2
  '1f02040201110e00', // 33 3
  '02060a121f020200', // 34 4
  '1f101e0101110e00', // 35 5
  '0608101e11110e00', // 36 6
  '1f01020408080800', // 37 7
  '0e11110e11110e00', // 38 8
  '0e11110f01020c00', // 39 9
  '000c0c000c0c0000', // 3a :
  '000c0c000c040800', // 3b ;
  '0204081008040200', // 3c <
  '00001f001f000000', // 3d =
  '0804020102040800', // 3e >
  '0e11010204000400', // 3f ?
  '0e11010d15150e00', // 40 @
  '0e11111f11111100', // 41 A
  '1e11111e11111e00', // 42 B
  '0e11101010110e00', // 43 C
  '1c12111111121c00', // 44 D
  '1f10101e10101f00', // 45 E
  '1f10101e10101000', // 46 F
  '0e11101711110f00', // 47 G
  '1111111f11111100', // 48 H
  '0e04040404040e00', // 49 I
  '0702020202120c00', // 4a J
  '1112141814121100', // 4b K
  '1010101010101f00', // 4c L
  '111b151511111100', // 4d M
  '1111191513111100', // 4e N
  '0e11111111110e00', // 4f O
  '1e11111e10101000', // 50 P
  '0e11111115120d00', // 51 Q
  '1e11111e14121100', // 52 R
  '0f10100e01011e00', // 53 S
  '1f04040404040400', // 54 T
  '1111111111110e00', // 55 U
  '11111111110a0400', // 56 V
  '1111111515150a00', // 57 W
  '11110a040a111100', // 58 X
  '11110a0404040400', // 59 Y
  '1f01020408101f00', // 5a Z
  '0e08080808080e00', // 5b [
  '0010080402010000', // 5c backslash
  '0e02020202020e00', // 5d ]
  '040a110000000000', // 5e ^
  '000000000000001f', // 5f _
  '0804020000000000', // 60 `
  '00000e010f110f00', // 61 a
  '1010161911111e00', // 62 b
  '00000e1010110e00', // 63 c
  '01010d1311110f00', // 64 d
  '00000e111f100e00', // 65 e
  '0609081c08080800', // 66 f
  '00000f11110f010e', // 67 g
  '1010161911111100', // 68 h
  '04000c0404040e00', // 69 i
  '020006020202120c', // 6a j
  '1010121418141200', // 6b k
  '0c04040404040e00', // 6c l
  '00001a1515111100', // 6d m
  '0000161911111100', // 6e n
  '00000e1111110e00', // 6f o
  '00001e11111e1010', // 70 p
  '00000f11110f0101', // 71 q
  '0000161910101000', // 72 r
  '00000e100e011e00', // 73 s
  '08081c0808090600', // 74 t
  '0000111111130d00', // 75 u
  '00001111110a0400', // 76 v
  '0000111115150a00', // 77 w
  '0000110a040a1100', // 78 x
  '00001111110f010e', // 79 y
  '00001f0204081f00', // 7a z
  '0204040804040200', // 7b {
  '0404040404040400', // 7c |
  '0804040204040800', // 7d }
  '0000081502000000', // 7e ~
];

/** Glyphs beyond ASCII that the console itself prints (never typed: keysyms outside ASCII show '?'). */
const EXTRA_GLYPHS: ReadonlyMap<string, string> = new Map([
  ['\u2014', '0000001f00000000'], // em dash: a full-width bar where '-' is three columns
]);

const FALLBACK = '?';

/** Cell masks (CELL_WIDTH*CELL_HEIGHT bytes, 1 = ink), built on first use. */
const masks = new Map<string, Uint8Array>();

/** True when the font has a glyph of its own for `ch` (one UTF-16 code unit). */
export function hasGlyph(ch: string): boolean {
  return glyphHex(ch) !== undefined;
}

/** The 8 glyph rows of `ch` (bit 4 leftmost); characters without a glyph get '?'. */
export function glyphRows(ch: string): Uint8Array {
  const hex = glyphHex(ch) ?? glyphHex(FALLBACK)!;
  const rows = new Uint8Array(GLYPH_HEIGHT);
  for (let i = 0; i < GLYPH_HEIGHT; i++) rows[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return rows;
}

/**
 * Draws one character cell with its top-left corner at pixel (x, y): background everywhere, the
 * glyph in `fg`. The caller keeps the cell inside `fb`.
 */
export function drawCell(fb: Framebuffer, x: number, y: number, ch: string, fg: Rgb, bg: Rgb): void {
  const mask = cellMask(ch);
  const d = fb.data;
  const stride = fb.width * 4;
  let m = 0;
  for (let row = 0; row < CELL_HEIGHT; row++) {
    let o = (y + row) * stride + x * 4;
    for (let col = 0; col < CELL_WIDTH; col++, o += 4, m++) {
      const c = mask[m] ? fg : bg;
      d[o] = c[0];
      d[o + 1] = c[1];
      d[o + 2] = c[2];
      d[o + 3] = 0;
    }
  }
}

/**
 * `text` drawn as one row of cells on its own framebuffer (text.length*CELL_WIDTH x CELL_HEIGHT):
 * what the console shows for that text in those colours. Tests compare screen regions with it.
 */
export function renderText(text: string, fg: Rgb, bg: Rgb): Framebuffer {
  const fb = new Framebuffer(Math.max(1, text.length) * CELL_WIDTH, CELL_HEIGHT);
  for (let i = 0; i < text.length; i++) drawCell(fb, i * CELL_WIDTH, 0, text[i]!, fg, bg);
  return fb;
}

function glyphHex(ch: string): string | undefined {
  if (ch.length !== 1) return undefined;
  const code = ch.charCodeAt(0);
  if (code >= 0x20 && code <= 0x7e) return ASCII_GLYPHS[code - 0x20];
  return EXTRA_GLYPHS.get(ch);
}

function cellMask(ch: string): Uint8Array {
  const key = hasGlyph(ch) ? ch : FALLBACK;
  let mask = masks.get(key);
  if (!mask) {
    mask = new Uint8Array(CELL_WIDTH * CELL_HEIGHT);
    const rows = glyphRows(key);
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (((rows[gy]! >> (GLYPH_WIDTH - 1 - gx)) & 1) === 0) continue;
        for (let sy = 0; sy < FONT_SCALE; sy++) {
          for (let sx = 0; sx < FONT_SCALE; sx++) {
            mask[(MARGIN_Y + gy * FONT_SCALE + sy) * CELL_WIDTH + MARGIN_X + gx * FONT_SCALE + sx] = 1;
          }
        }
      }
    }
    masks.set(key, mask);
  }
  return mask;
}
