/**
 * Text to QEMU key presses for QMP `send-key` (qapi/ui.json QKeyCode), assuming the guest uses a US
 * keyboard layout (the Linux console default). Each character becomes one chord: the key, plus
 * `shift` for upper-case letters and shifted symbols.
 */

const UNSHIFTED: Record<string, string> = {
  ' ': 'spc',
  '\n': 'ret',
  '\t': 'tab',
  '\b': 'backspace',
  '\x1b': 'esc',
  '-': 'minus',
  '=': 'equal',
  '[': 'bracket_left',
  ']': 'bracket_right',
  '\\': 'backslash',
  ';': 'semicolon',
  "'": 'apostrophe',
  '`': 'grave_accent',
  ',': 'comma',
  '.': 'dot',
  '/': 'slash',
};

const SHIFTED: Record<string, string> = {
  '!': '1',
  '@': '2',
  '#': '3',
  $: '4',
  '%': '5',
  '^': '6',
  '&': '7',
  '*': '8',
  '(': '9',
  ')': '0',
  _: 'minus',
  '+': 'equal',
  '{': 'bracket_left',
  '}': 'bracket_right',
  '|': 'backslash',
  ':': 'semicolon',
  '"': 'apostrophe',
  '~': 'grave_accent',
  '<': 'comma',
  '>': 'dot',
  '?': 'slash',
};

/** The QKeyCode chord for one character; throws for characters a US keyboard cannot type. */
export function qcodesForChar(char: string): string[] {
  if (/^[a-z0-9]$/.test(char)) return [char];
  if (/^[A-Z]$/.test(char)) return ['shift', char.toLowerCase()];
  const plain = UNSHIFTED[char];
  if (plain !== undefined) return [plain];
  const shifted = SHIFTED[char];
  if (shifted !== undefined) return ['shift', shifted];
  throw new Error(`no US-layout key for ${JSON.stringify(char)}`);
}
