import { describe, expect, it } from 'vitest';
import { AtenClientHandshake, looksLikeTightCapabilities, type AtenHandshakeStep } from '../../../../protocols/aten/handshake.js';
import { AtenError, ProtocolError } from '../../../../protocols/errors.js';
import { prng, splits } from '../../../helpers/aten/feed.js';

// Hand-written server side of a handshake, byte by byte (layouts: notes §2).
const challenge = Buffer.from('70044075be8aaf7e00000000bcbd0100700d4075e81c0300', 'hex'); // GW M0 capture, 24 bytes
function serverBytes(banner: string, name = 'ATEN iKVM Server', trailer = '000000005dfd43d001010100'): Buffer {
  const nameBuf = Buffer.from(name, 'latin1');
  return Buffer.concat([
    Buffer.from(banner, 'latin1'),
    Buffer.from([1, 16]), // one security type: 16
    challenge,
    Buffer.from([0, 0, 0, 0]), // SecurityResult OK
    Buffer.from([0x01, 0xe0, 0x02, 0x80]), // 480x640 placeholder
    Buffer.from('2018000100ff00ff00ff100800000000', 'hex'), // PIXEL_FORMAT 32bpp depth 24
    Buffer.from([0, 0, 0, nameBuf.length]),
    nameBuf,
    Buffer.from(trailer, 'hex'),
  ]);
}

function run(chunks: Buffer[], opts = {}): { sent: Buffer; last: AtenHandshakeStep; hs: AtenClientHandshake } {
  const hs = new AtenClientHandshake({ username: 'Cl8xFRaBRZTRMIR', password: 'jwGwerg==', ...opts });
  const sent: Buffer[] = [];
  let last: AtenHandshakeStep = { send: [] };
  for (const c of chunks) {
    last = hs.receive(c);
    sent.push(...last.send);
    if (last.serverInit) break;
  }
  return { sent: Buffer.concat(sent), last, hs };
}

const user = Buffer.alloc(24);
user.write('Cl8xFRaBRZTRMIR', 'latin1');
const pass = Buffer.alloc(24);
pass.write('jwGwerg==', 'latin1');

describe('AtenClientHandshake', () => {
  for (const banner of ['RFB 003.008\n', 'RFB 055.008\n']) {
    it(`completes with banner ${JSON.stringify(banner)} fed whole, split at every offset and bytewise`, () => {
      const bytes = serverBytes(banner);
      const expectedSent = Buffer.concat([Buffer.from(banner, 'latin1'), Buffer.from([16]), user, pass, Buffer.from([1])]);
      for (const { name, chunks } of splits(bytes)) {
        const { sent, last, hs } = run(chunks);
        expect(sent.equals(expectedSent), name).toBe(true);
        expect(hs.done).toBe(true);
        expect(last.rest, name).toBeUndefined();
        expect(last.serverInit, name).toMatchObject({
          banner,
          width: 480,
          height: 640,
          name: 'ATEN iKVM Server',
          sessionId: 0x5dfd43d0,
          videoEnabled: true,
          keyboardMouseEnabled: true,
          kickEnabled: true,
          virtualMediaEnabled: false,
        });
      }
    });
  }

  it('sends ClientInit before the ServerInit arrives, right after SecurityResult', () => {
    const bytes = serverBytes('RFB 003.008\n');
    const hs = new AtenClientHandshake({ username: 'u', password: 'p' });
    const upToResult = 12 + 2 + 24 + 4;
    const step = hs.receive(bytes.subarray(0, upToResult));
    expect(Buffer.concat(step.send).subarray(-1)).toEqual(Buffer.from([1]));
    expect(step.serverInit).toBeUndefined();
  });

  it('pipelines ClientInit with the credentials when asked, with shared=false', () => {
    const hs = new AtenClientHandshake({ username: 'u', password: 'p', pipelineClientInit: true, shared: false });
    hs.receive(Buffer.from('RFB 003.008\n\x01\x10', 'latin1'));
    const step = hs.receive(challenge);
    expect(step.send.length).toBe(2);
    expect(step.send[1]).toEqual(Buffer.from([0]));
    expect(hs.receive(Buffer.from([0, 0, 0, 0])).send).toEqual([]);
  });

  it('hands over bytes that follow the ServerInit', () => {
    const extra = Buffer.from([0x16, 0x01]);
    const { last } = run([Buffer.concat([serverBytes('RFB 003.008\n'), extra])]);
    expect(last.rest).toEqual(extra);
  });

  it('skips exactly 24 challenge bytes even when they look like a TightVNC tunnel count', () => {
    const hs = new AtenClientHandshake({ username: 'u', password: 'p' });
    hs.receive(Buffer.from('RFB 003.008\n\x01\x10', 'latin1'));
    const step = hs.receive(Buffer.concat([Buffer.from('aff90fb0', 'hex'), Buffer.alloc(19)]));
    expect(step.send).toEqual([]); // one byte short of 24
    expect(hs.receive(Buffer.alloc(1)).send[0]!.length).toBe(48);
  });

  it('rejects a non-ATEN banner, a missing type 16, a refusal, failed auth, long credentials', () => {
    const mk = () => new AtenClientHandshake({ username: 'u', password: 'p' });
    expect(() => mk().receive(Buffer.from('RFB 003.007\n'))).toThrow(expect.objectContaining({ code: 'ATEN_ERR_VERSION' }));
    expect(() => mk().receive(Buffer.from('RFB 003.008\n\x01\x02', 'latin1'))).toThrow(expect.objectContaining({ code: 'ATEN_ERR_SECURITY_TYPE' }));
    const refusal = Buffer.concat([Buffer.from('RFB 003.008\n\x00\x00\x00\x00\x04', 'latin1'), Buffer.from('busy')]);
    expect(() => mk().receive(refusal)).toThrow(/busy/);
    const hs = mk();
    hs.receive(Buffer.concat([Buffer.from('RFB 055.008\n\x01\x10', 'latin1'), challenge]));
    expect(() => hs.receive(Buffer.from([0, 0, 0, 1]))).toThrow(expect.objectContaining({ code: 'ATEN_ERR_AUTH_FAILED', field: 'SecurityResult' }));
    expect(() => new AtenClientHandshake({ username: 'x'.repeat(25), password: '' })).toThrow(AtenError);
  });

  it('bounds the desktop name length before waiting for it', () => {
    const hs = new AtenClientHandshake({ username: 'u', password: 'p' });
    hs.receive(Buffer.concat([Buffer.from('RFB 003.008\n\x01\x10', 'latin1'), challenge, Buffer.alloc(4)]));
    const init = Buffer.alloc(24);
    init.writeUInt32BE(0x7fffffff, 20);
    expect(() => hs.receive(init)).toThrow(expect.objectContaining({ code: 'ATEN_ERR_LIMIT' }));
  });

  it('fuzz: mutated server bytes only ever raise ProtocolError', () => {
    const rnd = prng(4);
    const base = serverBytes('RFB 003.008\n');
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(base);
      const n = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const hs = new AtenClientHandshake({ username: 'u', password: 'p' });
      try {
        let off = 0;
        while (off < b.length && !hs.done) {
          const len = 1 + Math.floor(rnd() * 8);
          hs.receive(b.subarray(off, off + len));
          off += len;
        }
      } catch (e) {
        expect(e).toBeInstanceOf(ProtocolError);
      }
    }
  });
});

describe('AtenClientHandshake with stopAtChallenge (bmc-gateway probe: no credentials sent)', () => {
  for (const banner of ['RFB 003.008\n', 'RFB 055.008\n']) {
    it(`${JSON.stringify(banner)}: echoes the banner, chooses 16, hands over the 24-byte block, sends nothing more (every split)`, () => {
      const bytes = serverBytes(banner);
      for (const { name, chunks } of splits(bytes)) {
        const hs = new AtenClientHandshake({ username: '', password: '', stopAtChallenge: true });
        const sent: Buffer[] = [];
        let got: Buffer | undefined;
        for (const c of chunks) {
          const step = hs.receive(c);
          sent.push(...step.send);
          if (step.challenge) {
            got = step.challenge;
            break;
          }
        }
        expect(Buffer.concat(sent).equals(Buffer.concat([Buffer.from(banner, 'latin1'), Buffer.from([16])])), name).toBe(true);
        expect(got?.equals(challenge), name).toBe(true);
        expect(hs.done).toBe(true);
        expect(() => hs.receive(Buffer.from([0]))).toThrow(AtenError);
      }
    });
  }
});

describe("looksLikeTightCapabilities: a TightVNC capability list after type 16, not ATEN's block", () => {
  /** rfbproto "Tight Security Type": U32 tunnels, U32 auth types, then 16-byte capabilities (code, vendor, name). */
  const tight = (authTypes: number, vendor: string, name: string) =>
    Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, authTypes]), Buffer.from([0, 0, 0, 2]), Buffer.from(vendor, 'latin1'), Buffer.from(name, 'latin1')]);

  it('TightVNC: no tunnels, one auth type STDV VNCAUTH_ (or TGHT ULGNAUTH)', () => {
    expect(looksLikeTightCapabilities(tight(1, 'STDV', 'VNCAUTH_'))).toBe(true);
    expect(looksLikeTightCapabilities(tight(2, 'TGHT', 'ULGNAUTH'))).toBe(true);
  });

  it("ATEN's blocks are not: the live HTML5 capture, X9 (abf95fbe…), X10 (00000000 1c3e0100…), X10SLL (all zero)", () => {
    expect(looksLikeTightCapabilities(challenge)).toBe(false);
    for (const hex of ['abf95fbe301e0200e0a50000846cdabe00004b40d82d0100', '000000001c3e010040000000100bf04160ed0100100bf041', '0'.repeat(48)]) {
      expect(looksLikeTightCapabilities(Buffer.from(hex, 'hex')), hex).toBe(false);
    }
    expect(looksLikeTightCapabilities(tight(1, 'STDV', 'VNCAUTH_').subarray(0, 23))).toBe(false);
    expect(looksLikeTightCapabilities(tight(1, 'st1v', 'VNCAUTH_'))).toBe(false);
  });
});
