import { describe, expect, it } from 'vitest';
import { AtenClientHandshake } from '../../../../protocols/aten/handshake.js';
import { atenHtml5Credentials } from '../../../../protocols/aten/html5-ticket.js';
import { AtenServerMessageReader, type AtenServerMessage } from '../../../../protocols/aten/server-messages.js';
import { AtenError } from '../../../../protocols/errors.js';
import { splits } from '../../../helpers/aten/feed.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const TICKET = 'BR2/XCGBLuhswneDsPUXjA=='; // the shape public clients saw: 24 base64 characters

describe('atenHtml5Credentials', () => {
  it('whole: the ticket fills the user field, the password field is 24 zero bytes (ikvm-gw M0, live on an X11-era board)', () => {
    const { username, password } = atenHtml5Credentials(TICKET, 'whole');
    expect(username).toEqual(Buffer.from(TICKET, 'latin1'));
    expect(password).toEqual(Buffer.alloc(24));
    const short = atenHtml5Credentials('abc', 'whole');
    expect(short.username).toEqual(Buffer.concat([Buffer.from('abc'), Buffer.alloc(21)]));
  });

  it("split: ticket[0..15) and ticket[15..24), each NUL-padded; a longer ticket's rest is not sent (ikvmt, X10 fw 4.00)", () => {
    const { username, password } = atenHtml5Credentials('0123456789abcdefghijklmn_extra_launcher_bytes', 'split');
    expect(username).toEqual(Buffer.concat([Buffer.from('0123456789abcde'), Buffer.alloc(9)]));
    expect(password).toEqual(Buffer.concat([Buffer.from('fghijklmn'), Buffer.alloc(15)]));
  });

  it('refuses what is not a ticket, without quoting it', () => {
    const code = (t: string, layout: 'whole' | 'split') => {
      try {
        atenHtml5Credentials(t, layout);
      } catch (e) {
        expect(e).toBeInstanceOf(AtenError);
        expect((e as Error).message).not.toContain(t || '\u0000');
        return (e as AtenError).code;
      }
      return 'accepted';
    };
    expect(code('', 'whole')).toBe('ATEN_ERR_TICKET');
    expect(code('has space', 'whole')).toBe('ATEN_ERR_TICKET');
    expect(code('tab\there', 'whole')).toBe('ATEN_ERR_TICKET');
    expect(code('é'.repeat(5), 'whole')).toBe('ATEN_ERR_TICKET');
    expect(code('x'.repeat(257), 'split')).toBe('ATEN_ERR_TICKET');
    expect(code('x'.repeat(25), 'whole')).toBe('ATEN_ERR_CREDENTIAL_TOO_LONG');
    expect(code('x'.repeat(23), 'split')).toBe('ATEN_ERR_TICKET');
    expect(code('x'.repeat(24), 'split')).toBe('accepted');
  });
});

/**
 * The server side of an HTML5 console session as public clients describe it, written out by hand:
 * banner 055.008, one security type 16, the 24-byte challenge of ikvm-gw's live capture, SecurityResult
 * 0, ServerInit (480x640 placeholder, 32 bpp, "ATEN iKVM Server", extension 00000000 5dfd43d0 01010101),
 * then 57 (u32 a, u32 b, 256 bytes of text), 55 with 3 bytes, 22 with 1 byte (kookyleo/ikvmt protocol.rs
 * lengths 265/4/2) and the first rectangle's header (1024x768, 0x57, mode 0, length 0x400c in the
 * capture; here with 4 bytes of AST2100 header as its whole payload).
 */
function html5ServerBytes(): Buffer {
  const session = Buffer.alloc(265);
  session[0] = 57;
  session.writeUInt32BE(1, 1);
  session.writeUInt32BE(1, 5);
  session.write('0 Administrator 127.0.0.1', 9, 'latin1');
  return Buffer.concat([
    Buffer.from('RFB 055.008\n', 'latin1'),
    hex('01 10'),
    hex('70044075 be8aaf7e 00000000 bcbd0100 700d4075 e81c0300'),
    hex('00000000'),
    hex('01e0 0280 2018 0001 00ff 00ff 00ff 1008 0000 0000'),
    hex('00000010'),
    Buffer.from('ATEN iKVM Server', 'latin1'),
    hex('00000000 5dfd43d0 01010101'),
    session,
    hex('37 000001'),
    hex('16 01'),
    hex('00 00 0001  0000 0000 0400 0300 00000057 00000000 00000004  040701a6'),
  ]);
}

describe('an HTML5 console session through AtenClientHandshake and AtenServerMessageReader (3-byte 0x37)', () => {
  const { username, password } = atenHtml5Credentials(TICKET, 'whole');
  const expectedSent = Buffer.concat([Buffer.from('RFB 055.008\n', 'latin1'), hex('10'), Buffer.from(TICKET, 'latin1'), Buffer.alloc(24), hex('01')]);

  it('echoes 055.008, answers type 16 with ticket ‖ zeros, reads the ServerInit extension and 57/55/22, split at every byte and bytewise', () => {
    const bytes = html5ServerBytes();
    for (const { name, chunks } of splits(bytes)) {
      const hs = new AtenClientHandshake({ username, password });
      const reader = new AtenServerMessageReader({ mouseInfoBodyBytes: 3 });
      const sent: Buffer[] = [];
      const messages: AtenServerMessage[] = [];
      for (const c of chunks) {
        if (hs.done) {
          messages.push(...reader.push(c));
          continue;
        }
        const step = hs.receive(c);
        sent.push(...step.send);
        if (step.serverInit) {
          expect(step.serverInit, name).toMatchObject({
            banner: 'RFB 055.008\n',
            width: 480,
            height: 640,
            name: 'ATEN iKVM Server',
            sessionId: 0x5dfd43d0,
            videoEnabled: true,
            keyboardMouseEnabled: true,
            kickEnabled: true,
            virtualMediaEnabled: true,
          });
          if (step.rest) messages.push(...reader.push(step.rest));
        }
      }
      expect(Buffer.concat(sent).equals(expectedSent), name).toBe(true);
      expect(
        messages.map((m) => m.type),
        name,
      ).toEqual(['session', 'mouse-info', 'keep-alive', 'framebuffer-update']);
      expect(messages[0], name).toEqual({ type: 'session', a: 1, b: 1, text: '0 Administrator 127.0.0.1' });
      expect(messages[1], name).toEqual({ type: 'mouse-info', data: hex('000001') });
      expect(messages[3], name).toMatchObject({ rects: [{ width: 1024, height: 768, encoding: 0x57, data: hex('040701a6') }], noSignal: false });
      expect(reader.buffered, name).toBe(0);
    }
  });

  it('read with the TCP-era 2-byte 0x37 the same stream ends in ATEN_ERR_UNKNOWN_MESSAGE, not in silent misalignment', () => {
    const bytes = html5ServerBytes();
    const hs = new AtenClientHandshake({ username, password });
    const step = hs.receive(bytes);
    const reader = new AtenServerMessageReader({ mouseInfoBodyBytes: 2 });
    expect(() => reader.push(step.rest!)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_UNKNOWN_MESSAGE' }));
  });
});
