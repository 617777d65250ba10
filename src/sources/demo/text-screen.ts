import type { Framebuffer, Rect } from '../../../protocols/rfb/framebuffer.js';
import { CELL_HEIGHT, CELL_WIDTH, drawCell, type Rgb } from './font.js';

/** Colours of one character cell. */
export interface CellStyle {
  fg: Rgb;
  bg: Rgb;
}

/**
 * A grid of character cells (a text console's contents) drawn into a framebuffer on demand.
 *
 * Writing only changes the grid and records, per row, the span of cells that changed; render()
 * draws just those cells and reports them as damage. So a flood of keystrokes or scrolls between
 * two renders costs one redraw, and a clock that ticks redraws only the digits that moved.
 * Cell (col, row) covers pixels (col*CELL_WIDTH, row*CELL_HEIGHT) onwards.
 */
export class TextScreen {
  readonly cols: number;
  readonly rows: number;
  readonly #styles: readonly CellStyle[];
  readonly #chars: Uint16Array;
  readonly #styleOf: Uint8Array;
  /** Per row, the first and last changed column; first > last when the row is clean. */
  readonly #dirtyFirst: Int32Array;
  readonly #dirtyLast: Int32Array;
  #cursor = { col: 0, row: 0, visible: false };

  /** `styles[0]` is the style of blank cells. */
  constructor(cols: number, rows: number, styles: readonly CellStyle[]) {
    if (cols < 1 || rows < 1 || styles.length < 1 || styles.length > 256) throw new Error('TextScreen: bad geometry or styles');
    this.cols = cols;
    this.rows = rows;
    this.#styles = styles;
    this.#chars = new Uint16Array(cols * rows).fill(0x20);
    this.#styleOf = new Uint8Array(cols * rows);
    this.#dirtyFirst = new Int32Array(rows);
    this.#dirtyLast = new Int32Array(rows).fill(cols - 1);
  }

  /** Sets one cell; `ch` is one UTF-16 code unit. Out-of-grid positions are a caller bug. */
  put(col: number, row: number, ch: string, style: number): void {
    this.#check(col, row);
    const i = row * this.cols + col;
    const code = ch.charCodeAt(0);
    if (this.#chars[i] === code && this.#styleOf[i] === style) return;
    this.#chars[i] = code;
    this.#styleOf[i] = style;
    this.#markDirty(row, col, col);
  }

  /** Writes `text` from (col, row) to the right, clipped at the row's end. */
  putText(col: number, row: number, text: string, style: number): void {
    for (let i = 0; i < text.length && col + i < this.cols; i++) this.put(col + i, row, text[i]!, style);
  }

  /** The character at a cell. */
  charAt(col: number, row: number): string {
    this.#check(col, row);
    return String.fromCharCode(this.#chars[row * this.cols + col]!);
  }

  /** The text of a row, trailing blanks removed. */
  rowText(row: number): string {
    let s = '';
    for (let col = 0; col < this.cols; col++) s += this.charAt(col, row);
    return s.trimEnd();
  }

  /** Blanks rows [from, to) in style 0. */
  clearRows(from: number, to: number): void {
    for (let row = from; row < to; row++) {
      for (let col = 0; col < this.cols; col++) this.put(col, row, ' ', 0);
    }
  }

  /** Moves rows [top+1, rows) up by one and blanks the last row; rows above `top` stay. */
  scrollUp(top: number): void {
    const start = (top + 1) * this.cols;
    this.#chars.copyWithin(top * this.cols, start);
    this.#styleOf.copyWithin(top * this.cols, start);
    this.#chars.fill(0x20, (this.rows - 1) * this.cols);
    this.#styleOf.fill(0, (this.rows - 1) * this.cols);
    if (this.#cursor.row > top) this.#cursor.row--;
    for (let row = top; row < this.rows; row++) this.#markDirty(row, 0, this.cols - 1);
  }

  /** Places the cursor, drawn as the cell with its colours swapped while `visible`. */
  setCursor(col: number, row: number, visible: boolean): void {
    this.#check(col, row);
    const c = this.#cursor;
    if (c.col === col && c.row === row && c.visible === visible) return;
    this.#markDirty(c.row, c.col, c.col);
    this.#cursor = { col, row, visible };
    this.#markDirty(row, col, col);
  }

  /** Draws every changed cell into `fb` and returns the damaged areas (rows with equal spans merged). */
  render(fb: Framebuffer): Rect[] {
    const out: Rect[] = [];
    let open: Rect | undefined;
    for (let row = 0; row < this.rows; row++) {
      const first = this.#dirtyFirst[row]!;
      const last = this.#dirtyLast[row]!;
      if (first > last) {
        open = undefined;
        continue;
      }
      for (let col = first; col <= last; col++) this.#drawCell(fb, col, row);
      this.#dirtyFirst[row] = this.cols;
      this.#dirtyLast[row] = -1;
      const x = first * CELL_WIDTH;
      const width = (last - first + 1) * CELL_WIDTH;
      if (open && open.x === x && open.width === width && open.y + open.height === row * CELL_HEIGHT) {
        open.height += CELL_HEIGHT;
      } else {
        open = { x, y: row * CELL_HEIGHT, width, height: CELL_HEIGHT };
        out.push(open);
      }
    }
    return out;
  }

  #drawCell(fb: Framebuffer, col: number, row: number): void {
    const i = row * this.cols + col;
    const style = this.#styles[this.#styleOf[i]!] ?? this.#styles[0]!;
    const c = this.#cursor;
    const inverse = c.visible && c.col === col && c.row === row;
    const ch = String.fromCharCode(this.#chars[i]!);
    drawCell(fb, col * CELL_WIDTH, row * CELL_HEIGHT, ch, inverse ? style.bg : style.fg, inverse ? style.fg : style.bg);
  }

  #markDirty(row: number, first: number, last: number): void {
    if (first < this.#dirtyFirst[row]!) this.#dirtyFirst[row] = first;
    if (last > this.#dirtyLast[row]!) this.#dirtyLast[row] = last;
  }

  #check(col: number, row: number): void {
    if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= this.cols || row >= this.rows) {
      throw new Error(`TextScreen: cell ${col},${row} outside ${this.cols}x${this.rows}`);
    }
  }
}
