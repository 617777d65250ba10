import { describe, expect, it } from 'vitest';
import { RfbError } from '../../../../protocols/errors.js';
import { ClientHandshake, type ClientHandshakeOptions, type StartTls } from '../../../../protocols/rfb/client-handshake.js';
import { bytes, sameForEverySplit, throwsForEverySplit, u16, u32 } from './rfb-test-helpers.js';

/**
 * The TLS security types in the client role, fed as a real server sends them: the bytes before the
 * TLS handshake (split every way), then — after tlsEstablished() — the decrypted bytes inside TLS
 * (split every way). Layouts from rfbproto "VeNCrypt" (version 0.2) and gtk-vnc's type 18.
 */

const V38 = 'RFB 003.008\n';
const V37 = 'RFB 003.007\n';
const hex = (b: Buffer | string): string => (typeof b === 'string' ? Buffer.from(b, 'latin1') : b).toString('hex');
const PF = [16, 16, 0, 1, ...u16(31), ...u16(63), ...u16(31), 11, 5, 0, 0, 0, 0];
const SERVER_INIT = bytes(u16(800), u16(600), PF, u32(4), 'tlsd');
// Challenge 00..0f with password "password" (see client-handshake.test.ts).
const CHALLENGE = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const RESPONSE = 'b866924125c8eebb9debc1db61c538e2';

interface Phase1 {
  sent: string;
  startTls: StartTls | undefined;
}

/** Feeds the pre-TLS bytes; the handshake must stop with startTls. */
function phase1(options: ClientHandshakeOptions, chunks: Buffer[]): Phase1 {
  const hs = new ClientHandshake(options);
  const sent: Buffer[] = [];
  let startTls: StartTls | undefined;
  for (const c of chunks) {
    const r = hs.receive(c);
    sent.push(...r.send);
    if (r.startTls) startTls = r.startTls;
  }
  return { sent: hex(Buffer.concat(sent)), startTls };
}

/** Runs phase 1 whole, then feeds the in-TLS bytes `inner` in `chunks`. */
function phase2(options: ClientHandshakeOptions, pre: Buffer, chunks: Buffer[]): { sentInTls: string; name: string | undefined; rest: string } {
  const hs = new ClientHandshake(options);
  const r1 = hs.receive(pre);
  expect(r1.startTls).toBeDefined();
  const sent = [...hs.tlsEstablished().send];
  let name: string | undefined;
  const rest: Buffer[] = [];
  for (const c of chunks) {
    if (name !== undefined) {
      rest.push(c);
      continue;
    }
    const r = hs.receive(c);
    sent.push(...r.send);
    if (r.serverInit) {
      name = r.serverInit.name;
      rest.push(r.rest!);
    }
  }
  return { sentInTls: hex(Buffer.concat(sent)), name, rest: hex(Buffer.concat(rest)) };
}

const vencrypt = (...subtypes: number[]) => bytes([0, 2], [0], [subtypes.length], ...subtypes.map(u32));

describe('VeNCrypt (19)', () => {
  it('prefer: takes VeNCrypt over VncAuth, answers 0.2, picks X509Vnc over TLSVnc with a password, starts x509 TLS after the ack', () => {
    const pre = bytes(V38, [2, 2, 19], vencrypt(258, 261, 2), [1]);
    const r = sameForEverySplit(pre, (c) => phase1({ shared: true, password: 'password', tls: 'prefer' }, c));
    expect(r.sent).toBe(hex(V38) + '13' + '0002' + hex(Buffer.from(u32(261))));
    expect(r.startTls).toEqual({ kind: 'x509', securityType: 19, subtype: 261 });
    // Inside TLS: VNC Authentication, SecurityResult, ClientInit, ServerInit.
    const inner = bytes(CHALLENGE, u32(0), SERVER_INIT, [2]);
    const r2 = sameForEverySplit(inner, (c) => phase2({ shared: true, password: 'password', tls: 'prefer' }, pre, c));
    expect(r2).toEqual({ sentInTls: RESPONSE + '01', name: 'tlsd', rest: '02' });
  });

  it('TLSNone: anonymous TLS, then SecurityResult even in 3.7 ("Subtypes with None suffix")', () => {
    const pre = bytes(V37, [1, 19], vencrypt(257), [1]);
    const r = sameForEverySplit(pre, (c) => phase1({ shared: false, tls: 'require' }, c));
    expect(r.startTls).toEqual({ kind: 'anonymous', securityType: 19, subtype: 257 });
    const r2 = sameForEverySplit(bytes(u32(0), SERVER_INIT), (c) => phase2({ shared: false, tls: 'require' }, pre, c));
    expect(r2).toEqual({ sentInTls: '00', name: 'tlsd', rest: '' });
  });

  it('X509Plain: user and password go first inside TLS (U32 lengths, UTF-8), never before it', () => {
    const opts: ClientHandshakeOptions = { shared: true, user: 'ädmin', password: 'pw', tls: 'prefer' };
    const pre = bytes(V38, [1, 19], vencrypt(262, 259), [1]);
    const r = sameForEverySplit(pre, (c) => phase1(opts, c));
    expect(r.sent).not.toContain(hex('pw'));
    expect(r.startTls?.subtype).toBe(262);
    const r2 = sameForEverySplit(bytes(u32(0), SERVER_INIT), (c) => phase2(opts, pre, c));
    const user = Buffer.from('ädmin', 'utf8');
    expect(r2.sentInTls).toBe(hex(Buffer.concat([Buffer.from(u32(user.length)), Buffer.from(u32(2)), user, Buffer.from('pw')])) + '01');
  });

  it('without a user, a Plain subtype is passed over for one that works, and refused alone with RFB_ERR_PASSWORD_REQUIRED', () => {
    const r = sameForEverySplit(bytes(V38, [1, 19], vencrypt(262, 258), [1]), (c) => phase1({ shared: true, password: 'x', tls: 'prefer' }, c));
    expect(r.startTls?.subtype).toBe(258);
    const e = throwsForEverySplit(
      bytes(V38, [1, 19], vencrypt(262)),
      (c) => phase1({ shared: true, password: 'x', tls: 'prefer' }, c),
      'RFB_ERR_PASSWORD_REQUIRED',
    );
    expect(e.message).toMatch(/X509Plain \(262\) needs user and password/);
  });

  it('Plain (256) without TLS is never chosen: RFB_ERR_NO_SECURITY_TYPE names what was offered', () => {
    const e = throwsForEverySplit(
      bytes(V38, [1, 19], vencrypt(256, 263)),
      (c) => phase1({ shared: true, user: 'u', password: 'p', tls: 'prefer' }, c),
      'RFB_ERR_NO_SECURITY_TYPE',
    );
    expect(e.message).toMatch(/Plain \(256\), TLSSASL \(263\)/);
  });

  it('version 0.1, a refused version, a refused subtype and data before the TLS handshake are errors', () => {
    const o: ClientHandshakeOptions = { shared: true, tls: 'prefer' };
    throwsForEverySplit(bytes(V38, [1, 19], [0, 1]), (c) => phase1(o, c), 'RFB_ERR_VENCRYPT');
    throwsForEverySplit(bytes(V38, [1, 19], [0, 2], [1]), (c) => phase1(o, c), 'RFB_ERR_VENCRYPT');
    throwsForEverySplit(bytes(V38, [1, 19], vencrypt(257), [0]), (c) => phase1(o, c), 'RFB_ERR_VENCRYPT');
    throwsForEverySplit(bytes(V38, [1, 19], [0, 2], [0], [0]), (c) => phase1(o, c), 'RFB_ERR_SERVER_REFUSED');
    const hs = new ClientHandshake(o);
    expect(() => hs.receive(bytes(V38, [1, 19], vencrypt(257), [1], [0x16, 3, 1]))).toThrow(expect.objectContaining({ code: 'RFB_ERR_UNEXPECTED_DATA' }));
  });

  it('over-long subtype list → RFB_ERR_TOO_LARGE before waiting for it', () => {
    throwsForEverySplit(bytes(V38, [1, 19], [0, 2], [0], [200]), (c) => phase1({ shared: true, tls: 'prefer' }, c), 'RFB_ERR_TOO_LARGE');
  });

  it('receive() before tlsEstablished() is a programming error, not a protocol error', () => {
    const hs = new ClientHandshake({ shared: true, tls: 'prefer' });
    hs.receive(bytes(V38, [1, 19], vencrypt(257), [1]));
    let caught: unknown;
    try {
      hs.receive(Buffer.from([0]));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(RfbError);
  });
});

describe('TLS (18), anonymous, with a second security-type list inside', () => {
  it('picks VNC Authentication inside TLS', () => {
    const pre = bytes(V38, [2, 2, 18]);
    const r = sameForEverySplit(pre, (c) => phase1({ shared: true, password: 'password', tls: 'prefer' }, c));
    expect(r).toEqual({ sent: hex(V38) + '12', startTls: { kind: 'anonymous', securityType: 18 } });
    const r2 = sameForEverySplit(bytes([1, 2], CHALLENGE, u32(0), SERVER_INIT), (c) => phase2({ shared: true, password: 'password', tls: 'prefer' }, pre, c));
    expect(r2).toEqual({ sentInTls: '02' + RESPONSE + '01', name: 'tlsd', rest: '' });
  });

  it('zero types inside TLS means SecurityResult next; None in 3.7 goes straight to ClientInit', () => {
    const pre = bytes(V38, [1, 18]);
    expect(sameForEverySplit(bytes([0], u32(0), SERVER_INIT), (c) => phase2({ shared: true, tls: 'prefer' }, pre, c)).sentInTls).toBe('01');
    const pre37 = bytes(V37, [1, 18]);
    expect(sameForEverySplit(bytes([1, 1], SERVER_INIT), (c) => phase2({ shared: true, tls: 'prefer' }, pre37, c)).sentInTls).toBe('0101');
  });

  it('VeNCrypt is preferred when both are offered (iDRAC offers [19, 18])', () => {
    expect(phase1({ shared: true, tls: 'prefer' }, [bytes(V38, [2, 19, 18])]).sent).toBe(hex(V38) + '13');
  });
});

describe('tls modes', () => {
  it('require: a server without TLS types → RFB_ERR_TLS_REQUIRED naming what it offers', () => {
    const e = throwsForEverySplit(bytes(V38, [2, 1, 2]), (c) => phase1({ shared: true, password: 'p', tls: 'require' }, c), 'RFB_ERR_TLS_REQUIRED');
    expect(e.message).toMatch(/offers \[1, 2\]/);
  });

  it('prefer: TLS over None when a server offers both, in either order', () => {
    expect(phase1({ shared: true, tls: 'prefer' }, [bytes(V38, [2, 1, 19])]).sent).toBe(hex(V38) + '13');
    expect(phase1({ shared: true, tls: 'prefer' }, [bytes(V38, [2, 18, 1])]).sent).toBe(hex(V38) + '12');
  });

  it('prefer: a server without TLS types gets None / VNC Authentication as before', () => {
    const r = phase1({ shared: true, password: 'p', tls: 'prefer' }, [bytes(V38, [1, 2])]);
    expect(r.sent).toBe(hex(V38) + '02');
  });

  it('off (and the default): TLS types are never taken', () => {
    expect(phase1({ shared: true, tls: 'off' }, [bytes(V38, [3, 19, 18, 1])]).sent).toBe(hex(V38) + '01');
    expect(phase1({ shared: true }, [bytes(V38, [2, 19, 1])]).sent).toBe(hex(V38) + '01');
    throwsForEverySplit(bytes(V38, [2, 19, 18]), (c) => phase1({ shared: true }, c), 'RFB_ERR_NO_SECURITY_TYPE');
  });
});
