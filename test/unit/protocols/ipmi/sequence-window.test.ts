import { describe, expect, it } from 'vitest';
import { SequenceWindow } from '../../../../protocols/ipmi/sequence-window.js';
import { expectCode } from './helpers.js';

describe('SequenceWindow', () => {
  it('accepts in order, out of order within the window, and refuses replays', () => {
    const w = new SequenceWindow(16, 32);
    w.accept(1);
    w.accept(2);
    w.accept(5);
    w.accept(3); // late but new
    expectCode(() => w.accept(3), 'IPMI_ERR_REPLAYED_SEQUENCE');
    expectCode(() => w.accept(5), 'IPMI_ERR_REPLAYED_SEQUENCE');
    expectCode(() => w.accept(1), 'IPMI_ERR_REPLAYED_SEQUENCE');
    w.accept(4);
  });

  it('refuses too far ahead or behind, and 0', () => {
    const w = new SequenceWindow(16, 32);
    w.accept(100);
    expectCode(() => w.accept(133), 'IPMI_ERR_SEQUENCE_OUT_OF_WINDOW');
    expectCode(() => w.accept(83), 'IPMI_ERR_SEQUENCE_OUT_OF_WINDOW');
    expectCode(() => w.accept(0), 'IPMI_ERR_SEQUENCE_OUT_OF_WINDOW');
    w.accept(84);
    w.accept(132);
  });

  it('wraps around 2^32', () => {
    const w = new SequenceWindow();
    w.accept(0xfffffffe);
    w.accept(0xffffffff);
    w.accept(1);
    expectCode(() => w.accept(0xffffffff), 'IPMI_ERR_REPLAYED_SEQUENCE');
    w.accept(0xfffffffd);
  });

  it('check() does not move the window; commit() does', () => {
    const w = new SequenceWindow();
    w.accept(10);
    w.check(11);
    w.check(11);
    w.commit(11);
    expectCode(() => w.check(11), 'IPMI_ERR_REPLAYED_SEQUENCE');
    expect(() => w.check(12)).not.toThrow();
  });
});
