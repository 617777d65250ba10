/** The console toolbar's special keys: X11 keysyms (X11/keysymdef.h) with the browser key codes noVNC sends beside them. */

export const XK = {
  Control_L: 0xffe3,
  Alt_L: 0xffe9,
  Shift_L: 0xffe1,
  Delete: 0xffff,
  BackSpace: 0xff08,
  Tab: 0xff09,
  Return: 0xff0d,
  Escape: 0xff1b,
  Print: 0xff61,
  Sys_Req: 0xff15,
  F1: 0xffbe,
  Super_L: 0xffeb,
  Home: 0xff50,
  End: 0xff57,
  Page_Up: 0xff55,
  Page_Down: 0xff56,
  Insert: 0xff63,
} as const;

type KeyName = Exclude<keyof typeof XK, 'F1' | 'Sys_Req'>;
const CODE: Record<KeyName, string> = {
  Control_L: 'ControlLeft',
  Alt_L: 'AltLeft',
  Shift_L: 'ShiftLeft',
  Delete: 'Delete',
  Print: 'PrintScreen',
  Escape: 'Escape',
  Tab: 'Tab',
  Return: 'Enter',
  Super_L: 'MetaLeft',
  Home: 'Home',
  End: 'End',
  Page_Up: 'PageUp',
  Page_Down: 'PageDown',
  Insert: 'Insert',
  BackSpace: 'Backspace',
};

export interface KeyStroke {
  sym: number;
  code: string;
}

const fkey = (n: number): KeyStroke => ({ sym: XK.F1 + n - 1, code: `F${n}` });
const key = (name: KeyName): KeyStroke => ({ sym: XK[name], code: CODE[name] });

/** Menu entries: keys pressed in order and released in reverse. A label of null is translated (`keys.windows`). */
export const SPECIAL_KEYS: readonly (readonly [label: string | null, keys: readonly KeyStroke[]])[] = [
  ['Ctrl+Alt+Del', [key('Control_L'), key('Alt_L'), key('Delete')]],
  ['Ctrl+Alt+Backspace', [key('Control_L'), key('Alt_L'), key('BackSpace')]],
  ['Alt+SysRq (Alt+Print)', [key('Alt_L'), key('Print')]],
  ['Alt+Tab', [key('Alt_L'), key('Tab')]],
  ['Escape', [key('Escape')]],
  [null, [key('Super_L')]],
  ...Array.from({ length: 12 }, (_, i) => [`F${i + 1}`, [fkey(i + 1)]] as const),
  ...Array.from({ length: 12 }, (_, i) => [`Ctrl+Alt+F${i + 1}`, [key('Control_L'), key('Alt_L'), fkey(i + 1)]] as const),
  ['Alt+F4', [key('Alt_L'), fkey(4)]],
];

/** US-layout characters that need Shift held (for consoles that map keysyms to scancodes). */
export const SHIFTED = new Set('~!@#$%^&*()_+{}|:"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ');
