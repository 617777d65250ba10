import { describe, expect, it } from 'vitest';
import { Encoding } from '../../../../../protocols/rfb/constants.js';
import { UPSTREAM_ENCODINGS, createDecoders } from '../../../../../protocols/rfb/encodings/index.js';

describe('encodings index', () => {
  it('has a decoder for every encoding we ask for, and fresh state per call', () => {
    const a = createDecoders();
    const b = createDecoders();
    for (const e of UPSTREAM_ENCODINGS) {
      expect(a.get(e), `decoder for ${e}`).toBeDefined();
      expect(a.get(e)).not.toBe(b.get(e));
    }
    expect([...a.keys()].sort((x, y) => x - y)).toEqual([...UPSTREAM_ENCODINGS].sort((x, y) => x - y));
  });

  it('asks for the compressed encodings first and Raw last, no pseudo-encodings', () => {
    expect(UPSTREAM_ENCODINGS[0]).toBe(Encoding.Tight); // relayable, and the smaller on text consoles (index.ts)
    expect(UPSTREAM_ENCODINGS.at(-1)).toBe(Encoding.Raw);
    expect(UPSTREAM_ENCODINGS.every((e) => e >= 0)).toBe(true);
    expect(Object.isFrozen(UPSTREAM_ENCODINGS)).toBe(true);
  });
});
