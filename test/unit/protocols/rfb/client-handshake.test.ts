import { describe, expect, it } from 'vitest';
import { RfbError } from '../../../../protocols/errors.js';
import { LIMITS } from '../../../../protocols/limits.js';
import { ClientHandshake, type ClientHandshakeOptions, type ServerInit } from '../../../../protocols/rfb/client-handshake.js';
import { bytes, mutate, onlyProtocolErrors, prng, randomChunks, sameForEverySplit, throwsForEverySplit, u16, u32 } from './rfb-test-helpers.js';

// Hand-built from RFC 6143 §7.3.2: 1024x768, PIXEL_FORMAT 32 bpp depth 24 little-endian true colour,
// maxes 255, shifts 16/8/0, then the name.
const PF_BYTES = [32, 24, 0, 1, ...u16(255), ...u16(255), ...u16(255), 16, 8, 0, 0, 0, 0];
const serverInitBytes = (name: Buffer | string = 'QEMU (bmc)', w = 1024, h = 768): Buffer => {
  const n = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
  return bytes(u16(w), u16(h), PF_BYTES, u32(n.length), n);
};
const EXPECTED_PF = {
  bitsPerPixel: 32,
  depth: 24,
  bigEndian: false,
  trueColour: true,
  redMax: 255,
  greenMax: 255,
  blueMax: 255,
  redShift: 16,
  greenShift: 8,
  blueShift: 0,
};

// Challenge 00..0f with password "password": response from `openssl enc -des-ecb` (see vnc-auth.test.ts).
const CHALLENGE = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const RESPONSE = 'b866924125c8eebb9debc1db61c538e2';

const V33 = 'RFB 003.003\n';
const V37 = 'RFB 003.007\n';
const V38 = 'RFB 003.008\n';
const hex = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

interface Outcome {
  sent: string;
  serverInit: ServerInit | undefined;
  rest: string;
}

/** Drives a ClientHandshake with the server's transcript in the given chunks. */
function run(options: ClientHandshakeOptions, chunks: Buffer[]): Outcome {
  const hs = new ClientHandshake(options);
  const sent: Buffer[] = [];
  const rest: Buffer[] = [];
  let serverInit: ServerInit | undefined;
  for (const c of chunks) {
    if (serverInit) {
      rest.push(c);
      continue;
    }
    const r = hs.receive(c);
    sent.push(...r.send);
    if (r.serverInit) {
      serverInit = r.serverInit;
      rest.push(r.rest!);
    }
  }
  return { sent: Buffer.concat(sent).toString('hex'), serverInit, rest: Buffer.concat(rest).toString('hex') };
}

const runner = (options: ClientHandshakeOptions) => (chunks: Buffer[]) => run(options, chunks);

describe('ClientHandshake success paths (every split)', () => {
  it('3.8, None: ClientVersion, type 1, SecurityResult, ClientInit, ServerInit; rest is the stream', () => {
    const transcript = bytes(V38, [2, 2, 1], u32(0), serverInitBytes(), [2], [3, 0]); // Bell and a partial message after
    const r = sameForEverySplit(transcript, runner({ shared: true, password: 'password' }));
    expect(r.sent).toBe(hex(V38) + '01' + '01');
    expect(r.serverInit).toEqual({ width: 1024, height: 768, pixelFormat: EXPECTED_PF, name: 'QEMU (bmc)', version: '3.8' });
    expect(r.rest).toBe('020300');
  });

  it('3.8, VNC Authentication only: sends the DES response, then ClientInit with shared=0', () => {
    const transcript = bytes(V38, [1, 2], CHALLENGE, u32(0), serverInitBytes());
    const r = sameForEverySplit(transcript, runner({ shared: false, password: 'password' }));
    expect(r.sent).toBe(hex(V38) + '02' + RESPONSE + '00');
    expect(r.serverInit?.version).toBe('3.8');
    expect(r.rest).toBe('');
  });

  it('3.7, None: no SecurityResult (§7.2.1), ClientInit straight after the choice', () => {
    const transcript = bytes(V37, [1, 1], serverInitBytes('x'));
    const r = sameForEverySplit(transcript, runner({ shared: true }));
    expect(r.sent).toBe(hex(V37) + '01' + '01');
    expect(r.serverInit?.version).toBe('3.7');
    expect(r.serverInit?.name).toBe('x');
  });

  it('3.7, VNC Authentication: SecurityResult after the response', () => {
    const transcript = bytes(V37, [1, 2], CHALLENGE, u32(0), serverInitBytes());
    expect(sameForEverySplit(transcript, runner({ shared: true, password: 'password' })).sent).toBe(hex(V37) + '02' + RESPONSE + '01');
  });

  it('3.3, None: the server picks with a U32, no choice byte and no SecurityResult', () => {
    const transcript = bytes(V33, u32(1), serverInitBytes());
    const r = sameForEverySplit(transcript, runner({ shared: true }));
    expect(r.sent).toBe(hex(V33) + '01');
    expect(r.serverInit?.version).toBe('3.3');
  });

  it('3.3, VNC Authentication (QEMU with password=on speaks this to 3.3 clients)', () => {
    const transcript = bytes(V33, u32(2), CHALLENGE, u32(0), serverInitBytes());
    expect(sameForEverySplit(transcript, runner({ shared: false, password: 'password' })).sent).toBe(hex(V33) + RESPONSE + '00');
  });

  it('prefers None when both None and VNC Authentication are offered', () => {
    const r = run({ shared: true, password: 'pw' }, [bytes(V38, [2, 2, 1], u32(0), serverInitBytes())]);
    expect(r.sent).toBe(hex(V38) + '01' + '01');
  });

  it('decodes a UTF-8 name, and falls back to Latin-1 for bytes that are not UTF-8', () => {
    expect(run({ shared: true }, [bytes(V37, [1, 1], serverInitBytes('Bü€'))]).serverInit?.name).toBe('Bü€');
    expect(run({ shared: true }, [bytes(V37, [1, 1], serverInitBytes(Buffer.from([0x42, 0xfc, 0x72, 0x6f])))]).serverInit?.name).toBe('Büro');
  });
});

describe('ClientHandshake version choice (§7.1.1)', () => {
  const answer = (banner: string): string => {
    const r = new ClientHandshake({ shared: true }).receive(Buffer.from(banner, 'latin1'));
    return r.send[0]!.toString('latin1');
  };
  it.each([
    ['RFB 003.003\n', V33],
    ['RFB 003.005\n', V33], // "should be interpreted by all servers as 3.3"
    ['RFB 003.006\n', V33], // UltraVNC
    ['RFB 003.007\n', V37],
    ['RFB 003.008\n', V38],
    ['RFB 003.889\n', V38], // Apple Remote Desktop
    ['RFB 004.000\n', V38], // Intel AMT KVM
    ['RFB 004.001\n', V38], // RealVNC 4.6
    ['RFB 005.000\n', V38], // RealVNC 5.3
  ])('server %j gets %j', (banner, expected) => {
    expect(answer(banner)).toBe(expected);
  });

  it('maxVersion caps the answer (3.7 and 3.3 handshakes with a 3.8 server)', () => {
    const to37 = sameForEverySplit(bytes(V38, [1, 1], serverInitBytes()), runner({ shared: true, maxVersion: '3.7' }));
    expect(to37.sent).toBe(hex(V37) + '01' + '01');
    expect(to37.serverInit?.version).toBe('3.7');
    const to33 = sameForEverySplit(bytes(V38, u32(1), serverInitBytes()), runner({ shared: true, maxVersion: '3.3' }));
    expect(to33.sent).toBe(hex(V33) + '01');
    expect(run({ shared: true, maxVersion: '3.7' }, [Buffer.from(V33)]).sent).toBe(hex(V33));
  });

  it.each(['RFB 000.000\n', 'RFB 002.002\n', 'HTTP/1.1 400', 'RFB 003.00x\n', 'RFB 003.008\r', 'rfb 003.008\n', 'RFB  03.008\n'])('rejects %j', (banner) => {
    throwsForEverySplit(Buffer.from(banner, 'latin1'), runner({ shared: true }), 'RFB_ERR_BAD_VERSION');
  });
});

describe('ClientHandshake errors (every split)', () => {
  it('zero security types: RFB_ERR_SERVER_REFUSED with the reason', () => {
    const err = throwsForEverySplit(bytes(V38, [0], u32(15), 'Too many guests'), runner({ shared: true }), 'RFB_ERR_SERVER_REFUSED');
    expect(err.message).toContain('Too many guests');
  });

  it('3.3 security-type 0: RFB_ERR_SERVER_REFUSED with the reason', () => {
    const err = throwsForEverySplit(bytes(V33, u32(0), u32(4), 'busy'), runner({ shared: true }), 'RFB_ERR_SERVER_REFUSED');
    expect(err.message).toContain('busy');
  });

  it('no common security type: RFB_ERR_NO_SECURITY_TYPE listing what was offered', () => {
    const err = throwsForEverySplit(bytes(V38, [2, 16, 19]), runner({ shared: true, password: 'x' }), 'RFB_ERR_NO_SECURITY_TYPE');
    expect(err.message).toContain('16, 19');
    throwsForEverySplit(bytes(V33, u32(5)), runner({ shared: true }), 'RFB_ERR_NO_SECURITY_TYPE');
  });

  it('VNC Authentication without a password: RFB_ERR_PASSWORD_REQUIRED (3.8 and 3.3)', () => {
    throwsForEverySplit(bytes(V38, [1, 2]), runner({ shared: true }), 'RFB_ERR_PASSWORD_REQUIRED');
    throwsForEverySplit(bytes(V33, u32(2)), runner({ shared: true, password: '' }), 'RFB_ERR_PASSWORD_REQUIRED');
  });

  it('3.8 bad password: RFB_ERR_AUTH_FAILED with the server reason', () => {
    const err = throwsForEverySplit(
      bytes(V38, [1, 2], CHALLENGE, u32(1), u32(21), 'Authentication failed'),
      runner({ shared: true, password: 'x' }),
      'RFB_ERR_AUTH_FAILED',
    );
    expect(err.message).toContain(': Authentication failed');
    expect(err.field).toBe('SecurityResult');
  });

  it('3.8 status 2: "too many attempts" with the reason', () => {
    const err = throwsForEverySplit(bytes(V38, [1, 2], CHALLENGE, u32(2), u32(3), 'bye'), runner({ shared: true, password: 'x' }), 'RFB_ERR_AUTH_FAILED');
    expect(err.message).toMatch(/too many attempts: bye/);
  });

  it('3.8 None refused in SecurityResult (with reason)', () => {
    throwsForEverySplit(bytes(V38, [1, 1], u32(1), u32(2), 'no'), runner({ shared: true }), 'RFB_ERR_AUTH_FAILED');
  });

  it('3.7 and 3.3 bad password: RFB_ERR_AUTH_FAILED as soon as the U32 arrives (no reason in these versions)', () => {
    throwsForEverySplit(bytes(V37, [1, 2], CHALLENGE, u32(1)), runner({ shared: true, password: 'x' }), 'RFB_ERR_AUTH_FAILED');
    throwsForEverySplit(bytes(V33, u32(2), CHALLENGE, u32(1)), runner({ shared: true, password: 'x' }), 'RFB_ERR_AUTH_FAILED');
  });

  it('bounds: more security types than LIMITS.maxSecurityTypes, reason and name lengths, before waiting for them', () => {
    throwsForEverySplit(bytes(V38, [LIMITS.maxSecurityTypes + 1]), runner({ shared: true }), 'RFB_ERR_TOO_LARGE');
    throwsForEverySplit(bytes(V38, [0], u32(LIMITS.maxReasonBytes + 1)), runner({ shared: true }), 'RFB_ERR_TOO_LARGE');
    throwsForEverySplit(bytes(V38, [1, 1], u32(1), u32(0xffffffff)), runner({ shared: true }), 'RFB_ERR_TOO_LARGE');
    const hugeName = bytes(u16(1024), u16(768), PF_BYTES, u32(LIMITS.maxNameBytes + 1));
    const err = throwsForEverySplit(bytes(V37, [1, 1], hugeName), runner({ shared: true }), 'RFB_ERR_TOO_LARGE');
    expect(err.field).toBe('ServerInit.name-length');
  });

  it('ServerInit: unusable framebuffer size and bad bits-per-pixel', () => {
    throwsForEverySplit(bytes(V37, [1, 1], serverInitBytes('n', 0, 768)), runner({ shared: true }), 'RFB_ERR_FRAMEBUFFER_SIZE');
    throwsForEverySplit(bytes(V37, [1, 1], serverInitBytes('n', 640, LIMITS.maxFramebufferHeight + 1)), runner({ shared: true }), 'RFB_ERR_FRAMEBUFFER_SIZE');
    const bad = serverInitBytes();
    bad[4] = 24;
    const err = throwsForEverySplit(bytes(V37, [1, 1], bad), runner({ shared: true }), 'RFB_ERR_BAD_PIXEL_FORMAT');
    expect(err.field).toBe('ServerInit.server-pixel-format.bits-per-pixel');
  });

  it('is dead after an error and after success (receive() asserts, not an RfbError)', () => {
    const hs = new ClientHandshake({ shared: true });
    expect(() => hs.receive(Buffer.from('nonsense!!!!'))).toThrow(RfbError);
    expect(() => hs.receive(Buffer.from([1]))).toThrow(/after the handshake failed/);
    const ok = new ClientHandshake({ shared: true });
    expect(ok.receive(bytes(V37, [1, 1], serverInitBytes())).serverInit).toBeDefined();
    expect(() => ok.receive(Buffer.from([1]))).toThrow(/after the handshake finished/);
  });

  it('reports the version once known', () => {
    const hs = new ClientHandshake({ shared: true });
    expect(hs.version).toBeUndefined();
    hs.receive(Buffer.from('RFB 003.00'));
    expect(hs.version).toBeUndefined();
    hs.receive(Buffer.from('7\n'));
    expect(hs.version).toBe('3.7');
  });
});

describe('ClientHandshake.closed()', () => {
  const closedAfter = (options: ClientHandshakeOptions, data: Buffer): RfbError => {
    const hs = new ClientHandshake(options);
    hs.receive(data);
    return hs.closed();
  };
  it('explains a refusal whose reason was cut off', () => {
    expect(closedAfter({ shared: true }, bytes(V38, [0], u32(10), 'abc')).code).toBe('RFB_ERR_SERVER_REFUSED');
    expect(closedAfter({ shared: true }, bytes(V33, u32(0))).code).toBe('RFB_ERR_SERVER_REFUSED');
    // Three bytes of a 3.3 security-type are not yet a refusal (type 1 starts with a zero byte too).
    expect(closedAfter({ shared: true }, bytes(V33, [0, 0, 0])).code).toBe('RFB_ERR_CLOSED');
  });
  it('explains a 3.8 authentication failure whose reason never came', () => {
    expect(closedAfter({ shared: true, password: 'x' }, bytes(V38, [1, 2], CHALLENGE, u32(1))).code).toBe('RFB_ERR_AUTH_FAILED');
  });
  it('after a refusal it repeats that error (the server closes right after refusing)', () => {
    const hs = new ClientHandshake({ shared: true, password: 'x' });
    expect(() => hs.receive(bytes(V38, [1, 2], CHALLENGE, u32(1), u32(2), 'no'))).toThrow(RfbError);
    expect(hs.closed().code).toBe('RFB_ERR_AUTH_FAILED');
    expect(hs.closed().message).toContain(': no');
  });
  it('otherwise RFB_ERR_CLOSED naming the state', () => {
    const err = closedAfter({ shared: true, password: 'x' }, bytes(V38, [1, 2], CHALLENGE));
    expect(err.code).toBe('RFB_ERR_CLOSED');
    expect(err.field).toBe('security-result');
    expect(closedAfter({ shared: true }, Buffer.from('RFB')).code).toBe('RFB_ERR_CLOSED');
  });
});

describe('ClientHandshake fuzz', () => {
  it('random and mutated transcripts only ever raise ProtocolError', () => {
    const rnd = prng(0x5eed);
    const seeds = [
      bytes(V38, [2, 2, 1], u32(0), serverInitBytes()),
      bytes(V38, [1, 2], CHALLENGE, u32(1), u32(3), 'bad'),
      bytes(V37, [1, 1], serverInitBytes()),
      bytes(V33, u32(2), CHALLENGE, u32(0), serverInitBytes()),
      bytes(V38, [0], u32(4), 'nope'),
    ];
    for (let i = 0; i < 3000; i++) {
      const input =
        i % 4 === 0 ? Buffer.from(Array.from({ length: Math.floor(rnd() * 80) }, () => Math.floor(rnd() * 256))) : mutate(seeds[i % seeds.length]!, rnd);
      onlyProtocolErrors(
        () => {
          const hs = new ClientHandshake({ shared: true, password: 'pw' });
          for (const c of randomChunks(input, rnd, 16)) {
            if (hs.receive(c).serverInit) break;
          }
          hs.closed();
        },
        `case ${i}: ${input.toString('hex')}`,
      );
    }
  });
});

describe('ClientHandshake: what the server offered, kept after a refusal (for bmc-gateway probe)', () => {
  /** Feeds `data` in `chunks` (any split) and returns the handshake, whether it finished or threw. */
  const observe = (options: ClientHandshakeOptions) => (chunks: Buffer[]) => {
    const hs = new ClientHandshake(options);
    try {
      for (const c of chunks) if (hs.receive(c).serverInit) break;
    } catch (err) {
      if (!(err instanceof RfbError)) throw err;
    }
    return { version: hs.serverVersion, types: hs.securityTypes };
  };

  it('nothing before the banner is whole; the banner as offered (3.889, ATEN 55.8), then the list', () => {
    expect(observe({ shared: true })([Buffer.from(V38.slice(0, 11), 'latin1')])).toEqual({ version: undefined, types: undefined });
    expect(sameForEverySplit(bytes('RFB 003.889\n', [2, 1, 2]), observe({ shared: true }))).toEqual({ version: { major: 3, minor: 889 }, types: [1, 2] });
    expect(sameForEverySplit(bytes('RFB 055.008\n'), observe({ shared: true }))).toEqual({ version: { major: 55, minor: 8 }, types: undefined });
  });

  it('the list survives the throw when none of it is ours (ATEN [16]) or a password is missing', () => {
    expect(sameForEverySplit(bytes(V38, [1, 16]), observe({ shared: true }))).toEqual({ version: { major: 3, minor: 8 }, types: [16] });
    expect(sameForEverySplit(bytes(V38, [2, 2, 19]), observe({ shared: true }))).toEqual({ version: { major: 3, minor: 8 }, types: [2, 19] });
  });

  it('VeNCrypt (tls prefer): the subtypes survive the refusal for want of a password', () => {
    const observeVencrypt = (chunks: Buffer[]) => {
      const hs = new ClientHandshake({ shared: true, tls: 'prefer' });
      try {
        for (const c of chunks) hs.receive(c);
      } catch (err) {
        if (!(err instanceof RfbError)) throw err;
      }
      return { types: hs.securityTypes, subtypes: hs.vencryptSubtypes };
    };
    // rfbproto "VeNCrypt": version 0.2, ack 0, U8 count, U32 subtypes (TLSVnc 258, X509Vnc 261).
    expect(sameForEverySplit(bytes(V38, [1, 19], [0, 2], [0], [2], u32(258), u32(261)), observeVencrypt)).toEqual({ types: [19], subtypes: [258, 261] });
  });

  it('type 18: the list inside TLS (empty: straight to SecurityResult)', () => {
    const inner = (list: number[]) => {
      const hs = new ClientHandshake({ shared: true, tls: 'prefer' });
      expect(hs.receive(bytes(V38, [1, 18])).startTls).toMatchObject({ securityType: 18 });
      hs.tlsEstablished();
      try {
        hs.receive(bytes(list));
      } catch (err) {
        if (!(err instanceof RfbError)) throw err;
      }
      return hs.tlsSecurityTypes;
    };
    expect(inner([0])).toEqual([]);
    expect(inner([2, 1, 2])).toEqual([1, 2]);
    expect(inner([1, 2])).toEqual([2]);
  });

  it('3.3: the type the server decided on', () => {
    expect(sameForEverySplit(bytes(V33, u32(2)), observe({ shared: true }))).toEqual({ version: { major: 3, minor: 3 }, types: [2] });
  });
});
