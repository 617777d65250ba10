import { Framebuffer, type Rect } from '../../../protocols/rfb/framebuffer.js';
import { CELL_HEIGHT, CELL_WIDTH, hasGlyph } from './font.js';
import { TextScreen, type CellStyle } from './text-screen.js';

/** The console's colours: a dark terminal with a light header bar. */
export const DEMO_STYLES = Object.freeze({
  normal: { fg: [0xc8, 0xcc, 0xd0], bg: [0x10, 0x14, 0x1c] },
  header: { fg: [0x10, 0x14, 0x1c], bg: [0x6c, 0xb4, 0xe8] },
  ok: { fg: [0x5c, 0xd0, 0x5c], bg: [0x10, 0x14, 0x1c] },
  prompt: { fg: [0x6c, 0xb4, 0xe8], bg: [0x10, 0x14, 0x1c] },
  input: { fg: [0xff, 0xff, 0xff], bg: [0x10, 0x14, 0x1c] },
} satisfies Record<string, CellStyle>);

const STYLE_ORDER = ['normal', 'header', 'ok', 'prompt', 'input'] as const;
type StyleName = (typeof STYLE_ORDER)[number];
const S = Object.fromEntries(STYLE_ORDER.map((n, i) => [n, i])) as Record<StyleName, number>;

/** Smallest console we draw: the header must fit, and the longest input line must fit the text area. */
export const MIN_COLS = 60;
export const MIN_ROWS = 12;
/** Longest input line; more keys are ignored (bounds the line and how far BackSpace walks back). */
export const MAX_INPUT_CHARS = 256;
/** Most characters of one ClientCutText typed in; the rest is dropped (a paste is not a file upload). */
export const MAX_PASTE_CHARS = 4096;

const PROMPT = 'demo$ ';

/** X11 keysyms (X11/keysymdef.h) the console reacts to. */
const XK_BackSpace = 0xff08;
const XK_Return = 0xff0d;
const XK_KP_Enter = 0xff8d;
const XK_KP_Space = 0xff80;
const XK_KP_Multiply = 0xffaa;
const XK_KP_9 = 0xffb9;
const XK_KP_Equal = 0xffbd;

type BootLine = readonly (readonly [string, StyleName])[];
const BOOT_LOG: readonly BootLine[] = [
  [['[    0.000000] Linux version 6.1.0-demo (demo@bmc-gateway) #1 SMP PREEMPT_DYNAMIC', 'normal']],
  [['[    0.004211] Command line: BOOT_IMAGE=/vmlinuz console=tty0 console=ttyS0,115200n8', 'normal']],
  [['[    0.118734] Memory: 8048312K/8388088K available', 'normal']],
  [['[    0.482190] input: Power Button as /devices/LNXSYSTM:00/LNXPWRBN:00/input/input0', 'normal']],
  [['[    1.204417] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex', 'normal']],
  [
    ['[  ', 'normal'],
    ['OK', 'ok'],
    ['  ] Reached target Network.', 'normal'],
  ],
  [
    ['[  ', 'normal'],
    ['OK', 'ok'],
    ['  ] Started OpenBSD Secure Shell server.', 'normal'],
  ],
  [
    ['[  ', 'normal'],
    ['OK', 'ok'],
    ['  ] Reached target Multi-User System.', 'normal'],
  ],
  [],
  [['This screen is drawn by a small RFB server inside bmc-gateway. Type and press Return.', 'normal']],
  [],
  [
    ['demo login: ', 'prompt'],
    ['demo (automatic login)', 'normal'],
  ],
];

/**
 * The demo's "machine": a text console with a header clock, a fake boot log and a shell prompt that
 * echoes what is typed. Input and time go in (key, paste, tick); render() draws what changed into
 * `fb` and returns the damaged areas. No timers or sockets here: the demo server drives it.
 */
export class DemoConsole {
  readonly fb: Framebuffer;
  readonly #screen: TextScreen;
  #col = 0;
  #row = 1;
  #input = '';
  #blink = true;
  #firstRender = true;
  #now: Date;
  #pointer = '';

  constructor(width: number, height: number, now: Date) {
    const cols = Math.floor(width / CELL_WIDTH);
    const rows = Math.floor(height / CELL_HEIGHT);
    if (cols < MIN_COLS || rows < MIN_ROWS) {
      throw new Error(`demo console: ${width}x${height} is too small (at least ${MIN_COLS * CELL_WIDTH}x${MIN_ROWS * CELL_HEIGHT})`);
    }
    this.fb = new Framebuffer(width, height);
    const bg = DEMO_STYLES.normal.bg;
    // The margin right of and below the cell grid never changes: paint it once.
    this.fb.fillRect(0, 0, width, height, bg[0], bg[1], bg[2]);
    this.#screen = new TextScreen(
      cols,
      rows,
      STYLE_ORDER.map((n) => DEMO_STYLES[n]),
    );
    this.#now = now;
    this.#drawHeader();
    for (const line of BOOT_LOG) {
      for (const [text, style] of line) this.#write(text, S[style]);
      this.#newline();
    }
    this.#prompt();
  }

  get cols(): number {
    return this.#screen.cols;
  }

  get rows(): number {
    return this.#screen.rows;
  }

  /** The text of a screen row (trailing blanks removed); row 0 is the header. */
  rowText(row: number): string {
    return this.#screen.rowText(row);
  }

  /** A KeyEvent with down-flag set. Key releases do nothing on a console. */
  key(keysym: number): void {
    if (keysym === XK_Return || keysym === XK_KP_Enter) this.#enter();
    else if (keysym === XK_BackSpace) this.#backspace();
    else {
      const ch = keysymChar(keysym);
      if (ch !== undefined) this.#type(ch);
    }
    this.#showCursor(true);
  }

  /** ClientCutText, typed in: line breaks act as Return, other control characters are dropped. */
  paste(text: string): void {
    const s = text.length > MAX_PASTE_CHARS ? text.slice(0, MAX_PASTE_CHARS) : text;
    for (let i = 0; i < s.length; i++) {
      const ch = s[i]!;
      if (ch === '\r' || ch === '\n') {
        if (ch === '\n' && s[i - 1] === '\r') continue; // CR LF is one line break
        this.#enter();
      } else if (ch >= ' ' && ch !== '\x7f') {
        this.#type(hasGlyph(ch) ? ch : '?');
      }
    }
    this.#showCursor(true);
  }

  /**
   * A PointerEvent: shown at the right of the header ("pointer 512,384 L"), so a newcomer sees that
   * the mouse reaches the server too. Only the cells that change are redrawn.
   */
  pointer(x: number, y: number, buttonMask: number): void {
    const buttons = ['L', 'M', 'R'].filter((_, i) => (buttonMask >> i) & 1).join('');
    this.#pointer = `pointer ${x},${y}${buttons ? ' ' + buttons : ''}`;
    this.#drawHeader();
  }

  /** Called about twice a second: blinks the cursor and moves the header clock. */
  tick(now: Date): void {
    this.#now = now;
    this.#drawHeader();
    this.#showCursor(!this.#blink);
  }

  /** Draws every change since the last call into `fb`; the first call reports the whole screen. */
  render(): Rect[] {
    const rects = this.#screen.render(this.fb);
    if (this.#firstRender) {
      this.#firstRender = false;
      return [{ x: 0, y: 0, width: this.fb.width, height: this.fb.height }];
    }
    return rects;
  }

  #drawHeader(): void {
    const time = this.#now.toISOString().slice(0, 19).replace('T', ' ');
    const left = ` bmc-gateway demo console \u2014 ${time} UTC`;
    const right = `${this.#pointer} `;
    // The pointer status is dropped on consoles too narrow for both.
    const text = left.length + 1 + right.length <= this.cols ? left.padEnd(this.cols - right.length) + right : left;
    this.#screen.putText(0, 0, text.padEnd(this.cols), S.header);
  }

  #type(ch: string): void {
    if (this.#input.length >= MAX_INPUT_CHARS) return;
    this.#input += ch;
    this.#write(ch, S.input);
  }

  #backspace(): void {
    if (this.#input.length === 0) return;
    this.#input = this.#input.slice(0, -1);
    // The input line may have wrapped: stepping back from column 0 goes to the row above.
    if (this.#col === 0) {
      this.#row--;
      this.#col = this.cols - 1;
    } else {
      this.#col--;
    }
    this.#screen.put(this.#col, this.#row, ' ', S.normal);
  }

  #enter(): void {
    const line = this.#input;
    this.#input = '';
    this.#newline();
    const command = line.trim();
    if (command === 'clear') {
      this.#screen.clearRows(1, this.rows);
      this.#row = 1;
      this.#col = 0;
    } else if (command === 'help') {
      this.#write('This is a demo: it echoes what you type. "clear" clears the screen.', S.normal);
      this.#newline();
    } else if (command !== '') {
      this.#write(`you typed: ${line}`, S.normal);
      this.#newline();
    }
    this.#prompt();
  }

  #prompt(): void {
    this.#write(PROMPT, S.prompt);
    this.#showCursor(true);
  }

  /** Writes at the output position, wrapping at the right edge (the text area scrolls). */
  #write(text: string, style: number): void {
    for (const ch of text) {
      this.#screen.put(this.#col, this.#row, ch, style);
      if (++this.#col === this.cols) this.#newline();
    }
  }

  #newline(): void {
    this.#col = 0;
    if (this.#row + 1 < this.rows) {
      this.#row++;
    } else {
      this.#screen.scrollUp(1); // row 0 is the header and stays
    }
  }

  #showCursor(on: boolean): void {
    this.#blink = on;
    this.#screen.setCursor(this.#col, this.#row, on);
  }
}

/** The printable ASCII character a keysym types, if any (Latin-1 keysyms equal their code point). */
export function keysymChar(keysym: number): string | undefined {
  if (keysym >= 0x20 && keysym <= 0x7e) return String.fromCharCode(keysym);
  // Keypad keysyms are 0xff80 + the ASCII code of what they type (X11/keysymdef.h).
  if (keysym === XK_KP_Space || keysym === XK_KP_Equal || (keysym >= XK_KP_Multiply && keysym <= XK_KP_9)) {
    return String.fromCharCode(keysym - 0xff80);
  }
  // Latin-1 letters and Unicode keysyms (0x01000000 + code point): the font has no glyph for them.
  if ((keysym >= 0xa0 && keysym <= 0xff) || (keysym >= 0x010000a0 && keysym <= 0x0110ffff)) return '?';
  return undefined;
}
