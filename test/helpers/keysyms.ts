/** X11 keysyms for typing ASCII text through an RFB KeyEvent (X11/keysymdef.h). */
export const XK_Return = 0xff0d;
export const XK_Shift_L = 0xffe1;

const SHIFTED = new Set('~!@#$%^&*()_+{}|:"<>?ABCDEFGHIJKLMNOPQRSTUVWXYZ');

/** Key events (keysym, down) that type `text` on a US layout; '\n' is Return. Shift held where needed. */
export function keyEventsFor(text: string): { keysym: number; down: boolean }[] {
  const out: { keysym: number; down: boolean }[] = [];
  for (const ch of text) {
    const sym = ch === '\n' ? XK_Return : ch.charCodeAt(0);
    const shift = SHIFTED.has(ch);
    if (shift) out.push({ keysym: XK_Shift_L, down: true });
    out.push({ keysym: sym, down: true }, { keysym: sym, down: false });
    if (shift) out.push({ keysym: XK_Shift_L, down: false });
  }
  return out;
}
