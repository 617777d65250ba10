import { describe, expect, it } from 'vitest';
import { CELL_HEIGHT, CELL_WIDTH } from '../../../../../src/sources/demo/font.js';
import { DEMO_STYLES, DemoConsole, MAX_INPUT_CHARS, keysymChar } from '../../../../../src/sources/demo/demo-console.js';
import { colourCount, findText } from './screen-helpers.js';

const T0 = new Date('2026-11-28T01:02:03Z');
const XK_Return = 0xff0d;
const XK_BackSpace = 0xff08;

function typeText(c: DemoConsole, text: string): void {
  for (const ch of text) c.key(ch.charCodeAt(0));
}

/** Index of the last row that is not blank. */
function lastRow(c: DemoConsole): number {
  for (let r = c.rows - 1; r >= 0; r--) if (c.rowText(r) !== '') return r;
  return -1;
}

describe('DemoConsole', () => {
  it('starts with a header clock, a boot log and a prompt, and reports the whole screen first', () => {
    const c = new DemoConsole(1024, 768, T0);
    expect([c.cols, c.rows]).toEqual([85, 38]);
    expect(c.rowText(0)).toBe(' bmc-gateway demo console \u2014 2026-11-28 01:02:03 UTC');
    expect(c.rowText(1)).toMatch(/Linux version/);
    const all = Array.from({ length: c.rows }, (_, r) => c.rowText(r));
    expect(all).toContain('demo login: demo (automatic login)');
    expect(c.rowText(lastRow(c))).toBe('demo$');
    expect(c.render()).toEqual([{ x: 0, y: 0, width: 1024, height: 768 }]);
    expect(colourCount(c.fb)).toBeGreaterThan(3);
    expect(findText(c.fb, 'bmc-gateway demo console', DEMO_STYLES.header)).toEqual({ col: 1, row: 0 });
    expect(findText(c.fb, 'demo$', DEMO_STYLES.prompt)).toBeDefined();
    expect(c.render()).toEqual([]); // nothing changed since
  });

  it('echoes typed keys at the cursor and answers Return with "you typed"', () => {
    const c = new DemoConsole(1024, 768, T0);
    c.render();
    const promptRow = lastRow(c);
    typeText(c, 'hello');
    const damage = c.render();
    // Only the five cells and the cursor moved: one row's span.
    expect(damage).toEqual([{ x: 6 * CELL_WIDTH, y: promptRow * CELL_HEIGHT, width: 6 * CELL_WIDTH, height: CELL_HEIGHT }]);
    expect(findText(c.fb, 'hello', DEMO_STYLES.input)).toEqual({ col: 6, row: promptRow });
    c.key(XK_Return);
    c.render();
    expect(c.rowText(promptRow)).toBe('demo$ hello');
    expect(c.rowText(promptRow + 1)).toBe('you typed: hello');
    expect(c.rowText(promptRow + 2)).toBe('demo$');
    expect(findText(c.fb, 'you typed: hello', DEMO_STYLES.normal)).toEqual({ col: 0, row: promptRow + 1 });
  });

  it('deletes with BackSpace, also back across a wrapped line, and never into the prompt', () => {
    const c = new DemoConsole(1024, 768, T0);
    const row = lastRow(c);
    typeText(c, 'abc');
    c.key(XK_BackSpace);
    expect(c.rowText(row)).toBe('demo$ ab');
    for (let i = 0; i < 5; i++) c.key(XK_BackSpace);
    expect(c.rowText(row)).toBe('demo$');
    typeText(c, 'x'.repeat(c.cols - 6 + 2)); // wraps two characters onto the next row
    expect(c.rowText(row + 1)).toBe('xx');
    for (let i = 0; i < 3; i++) c.key(XK_BackSpace);
    expect(c.rowText(row + 1)).toBe('');
    expect(c.rowText(row)).toBe('demo$ ' + 'x'.repeat(c.cols - 6 - 1));
  });

  it('scrolls the text area when full and keeps the header', () => {
    const c = new DemoConsole(1024, 768, T0);
    c.render();
    for (let i = 0; i < 40; i++) {
      typeText(c, `line ${i}`);
      c.key(XK_Return);
    }
    expect(c.rowText(0)).toMatch(/^ bmc-gateway demo console/);
    expect(c.rowText(c.rows - 1)).toBe('demo$');
    expect(c.rowText(c.rows - 2)).toBe('you typed: line 39');
    expect(c.rowText(1)).not.toMatch(/Linux version/);
    const damage = c.render();
    // Header untouched by scrolling: damage starts at row 1.
    expect(damage.every((r) => r.y >= CELL_HEIGHT)).toBe(true);
    expect(findText(c.fb, 'you typed: line 39', DEMO_STYLES.normal)).toEqual({ col: 0, row: c.rows - 2 });
  });

  it('ticks: the clock damages only its digits, the cursor blinks in its own cell', () => {
    const c = new DemoConsole(1024, 768, T0);
    c.render();
    c.tick(new Date('2026-11-28T01:02:04Z'));
    const damage = c.render();
    expect(c.rowText(0)).toMatch(/01:02:04 UTC$/);
    const header = damage.filter((r) => r.y === 0);
    expect(header).toHaveLength(1);
    expect(header[0]!.width).toBe(CELL_WIDTH); // only the last digit changed
    const cursor = damage.filter((r) => r.y > 0);
    expect(cursor).toHaveLength(1);
    expect([cursor[0]!.width, cursor[0]!.height]).toEqual([CELL_WIDTH, CELL_HEIGHT]);
  });

  it('types pasted text, CR LF as one Return, and bounds input and paste', () => {
    const c = new DemoConsole(1024, 768, T0);
    const row = lastRow(c);
    c.paste('ls -l\r\npwd\n\u00e9\u0001');
    expect(c.rowText(row)).toBe('demo$ ls -l');
    expect(c.rowText(row + 1)).toBe('you typed: ls -l');
    expect(c.rowText(row + 2)).toBe('demo$ pwd');
    expect(c.rowText(row + 4)).toBe('demo$ ?');
    c.key(XK_Return);
    c.paste('y'.repeat(10_000));
    c.key(XK_Return);
    const all = Array.from({ length: c.rows }, (_, r) => c.rowText(r)).join('');
    // Rows are full width while a line wraps, so joining them restores each line: 256 y's, no more.
    const y = 'y'.repeat(MAX_INPUT_CHARS);
    expect(all).toContain(`demo$ ${y}you typed: ${y}demo$`);
  });

  it('shows the pointer position and buttons at the right of the header', () => {
    const c = new DemoConsole(1024, 768, T0);
    c.render();
    c.pointer(512, 384, 0b101);
    expect(c.rowText(0)).toMatch(/^ bmc-gateway demo console \u2014 2026-11-28 01:02:03 UTC +pointer 512,384 LR$/);
    c.render();
    c.pointer(513, 384, 0);
    const damage = c.render();
    // "384 LR" became "384": the moved digits and the cleared letters, within the header row.
    expect(damage.every((r) => r.y === 0 && r.height === CELL_HEIGHT)).toBe(true);
    expect(damage.reduce((n, r) => n + r.width, 0)).toBeLessThan(20 * CELL_WIDTH);
    expect(c.rowText(0)).toMatch(/pointer 513,384$/);
    const narrow = new DemoConsole(60 * CELL_WIDTH, 400, T0);
    narrow.pointer(1, 2, 1);
    expect(narrow.rowText(0)).not.toMatch(/pointer/);
  });

  it('clears the screen on "clear"', () => {
    const c = new DemoConsole(1024, 768, T0);
    typeText(c, 'clear');
    c.key(XK_Return);
    expect(c.rowText(1)).toBe('demo$');
    expect(c.rowText(2)).toBe('');
  });

  it('maps keysyms to characters', () => {
    expect(keysymChar(0x41)).toBe('A');
    expect(keysymChar(0xffb7)).toBe('7'); // KP_7
    expect(keysymChar(0xffab)).toBe('+'); // KP_Add
    expect(keysymChar(0xe9)).toBe('?'); // eacute: no glyph
    expect(keysymChar(0xffe1)).toBeUndefined(); // Shift_L
    expect(keysymChar(0xff1b)).toBeUndefined(); // Escape
  });

  it('refuses a framebuffer too small for its layout', () => {
    expect(() => new DemoConsole(100, 100, T0)).toThrow(/too small/);
  });
});
