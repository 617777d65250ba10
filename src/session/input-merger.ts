import type { InputEvent } from '../sources/types.js';

/**
 * Merges the input of several interactive viewers into the one keyboard and mouse of a BMC, the way
 * people sharing a console expect:
 * - a key goes up on the BMC only when no viewer holds it any more (two people pressing Shift do not
 *   release each other's Shift);
 * - the mouse buttons sent are the OR of every viewer's buttons, at the position of the latest move;
 * - when a viewer leaves, what only it held is released, so no key or button stays stuck.
 */
export class InputMerger {
  readonly #send: (ev: InputEvent) => void;
  readonly #keys = new Map<string, Set<number>>();
  readonly #buttons = new Map<string, number>();
  #x = 0;
  #y = 0;
  #sentMask = 0;

  constructor(send: (ev: InputEvent) => void) {
    this.#send = send;
  }

  input(viewerId: string, ev: InputEvent): void {
    switch (ev.type) {
      case 'key': {
        let held = this.#keys.get(viewerId);
        if (!held) this.#keys.set(viewerId, (held = new Set()));
        if (ev.down) {
          held.add(ev.keysym);
          this.#send(ev); // repeats pass too: browsers auto-repeat a held key with more downs
        } else if (held.delete(ev.keysym) && !this.#heldByOthers(viewerId, ev.keysym)) {
          this.#send(ev);
        }
        return;
      }
      case 'pointer': {
        this.#buttons.set(viewerId, ev.buttonMask);
        this.#x = ev.x;
        this.#y = ev.y;
        this.#sentMask = this.#mask();
        this.#send({ type: 'pointer', x: ev.x, y: ev.y, buttonMask: this.#sentMask });
        return;
      }
      case 'cut-text':
        this.#send(ev);
        return;
    }
  }

  /** The viewer left: release what only it held. */
  release(viewerId: string): void {
    const keys = this.#keys.get(viewerId);
    this.#keys.delete(viewerId);
    for (const keysym of keys ?? []) if (!this.#heldByOthers(viewerId, keysym)) this.#send({ type: 'key', down: false, keysym });
    if (this.#buttons.delete(viewerId)) {
      const mask = this.#mask();
      if (mask !== this.#sentMask) {
        this.#sentMask = mask;
        this.#send({ type: 'pointer', x: this.#x, y: this.#y, buttonMask: mask });
      }
    }
  }

  #heldByOthers(viewerId: string, keysym: number): boolean {
    for (const [id, set] of this.#keys) if (id !== viewerId && set.has(keysym)) return true;
    return false;
  }

  #mask(): number {
    let m = 0;
    for (const b of this.#buttons.values()) m |= b;
    return m;
  }
}
