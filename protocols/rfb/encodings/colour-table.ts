/**
 * A small open-addressing hash from 24-bit colours to palette indices, for the encoders that build
 * palettes (Tight's palette filter, ZRLE's packed/RLE palettes). It is reused for every rectangle:
 * `clear()` undoes only the slots that were filled, so counting a 16x16 tile does not pay for
 * zeroing the whole table.
 */
export class ColourTable {
  /** The colours in index order (first `count` entries are valid). */
  readonly colours: Int32Array;
  count = 0;
  readonly #max: number;
  readonly #keys: Int32Array; // colour + 1; 0 = empty
  readonly #slots: Uint16Array;
  readonly #filled: Uint16Array;
  readonly #mask: number;
  readonly #shift: number;

  /** `hashBits`: log2 of the slot count; keep slots ≥ 2x `maxColours` so probes stay short. */
  constructor(maxColours: number, hashBits: number) {
    this.#max = maxColours;
    this.colours = new Int32Array(maxColours);
    this.#keys = new Int32Array(1 << hashBits);
    this.#slots = new Uint16Array(1 << hashBits);
    this.#filled = new Uint16Array(maxColours);
    this.#mask = (1 << hashBits) - 1;
    this.#shift = 32 - hashBits;
  }

  /** The palette index of `colour`, adding it when new; -1 when it is new and the table is full. */
  indexOf(colour: number): number {
    let h = Math.imul(colour, 0x9e3779b1) >>> this.#shift;
    const keys = this.#keys;
    while (keys[h] !== 0 && keys[h] !== colour + 1) h = (h + 1) & this.#mask;
    if (keys[h] !== 0) return this.#slots[h]!;
    if (this.count === this.#max) return -1;
    keys[h] = colour + 1;
    this.#slots[h] = this.count;
    this.#filled[this.count] = h;
    this.colours[this.count] = colour;
    return this.count++;
  }

  clear(): void {
    for (let k = 0; k < this.count; k++) this.#keys[this.#filled[k]!] = 0;
    this.count = 0;
  }
}
