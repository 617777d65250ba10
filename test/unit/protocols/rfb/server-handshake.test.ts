import { describe, expect, it } from 'vitest';
import { ClientHandshake, type ServerInit } from '../../../../protocols/rfb/client-handshake.js';
import { RGBX_PIXEL_FORMAT } from '../../../../protocols/rfb/constants.js';
import { ServerHandshake, encodeServerInit, type ServerHandshakeDone } from '../../../../protocols/rfb/server-handshake.js';
import { bytes, mutate, onlyProtocolErrors, prng, randomChunks, sameForEverySplit, throwsForEverySplit, u16, u32 } from './rfb-test-helpers.js';

const V33 = 'RFB 003.003\n';
const V37 = 'RFB 003.007\n';
const V38 = 'RFB 003.008\n';

interface Outcome {
  sent: string;
  done: ServerHandshakeDone | undefined;
  rest: string;
}

/** Drives a ServerHandshake with the client's transcript in the given chunks. */
function run(chunks: Buffer[]): Outcome {
  const hs = new ServerHandshake();
  const sent: Buffer[] = [hs.start()];
  const rest: Buffer[] = [];
  let done: ServerHandshakeDone | undefined;
  for (const c of chunks) {
    if (done) {
      rest.push(c);
      continue;
    }
    const r = hs.receive(c);
    sent.push(...r.send);
    if (r.done) {
      done = r.done;
      rest.push(r.rest!);
    }
  }
  return { sent: Buffer.concat(sent).toString('latin1'), done, rest: Buffer.concat(rest).toString('hex') };
}

describe('ServerHandshake (every split)', () => {
  it('starts with "RFB 003.008\\n"', () => {
    expect(new ServerHandshake().start().toString('latin1')).toBe(V38);
  });

  it('3.8 (what noVNC 1.7 answers): types [None], SecurityResult OK, ClientInit; rest is the message stream', () => {
    // noVNC sends SetPixelFormat right after ClientInit; its first bytes must come back as rest.
    const r = sameForEverySplit(bytes(V38, [1], [1], [0, 0, 0, 0]), run);
    expect(r.sent).toBe(V38 + '\x01\x01' + '\x00\x00\x00\x00');
    expect(r.done).toEqual({ version: '3.8', shared: true });
    expect(r.rest).toBe('00000000');
  });

  it('3.7: types [None], no SecurityResult for None (§7.2.1)', () => {
    const r = sameForEverySplit(bytes(V37, [1], [0]), run);
    expect(r.sent).toBe(V38 + '\x01\x01');
    expect(r.done).toEqual({ version: '3.7', shared: false });
  });

  it('3.3: the server decides with U32 1, then ClientInit', () => {
    const r = sameForEverySplit(bytes(V33, [7]), run);
    expect(r.sent).toBe(V38 + '\x00\x00\x00\x01');
    expect(r.done).toEqual({ version: '3.3', shared: true });
  });

  it('3.5 and 3.6 are run as 3.3; 3.889 and 4.x as 3.8', () => {
    expect(run([bytes('RFB 003.005\n', [1])]).done?.version).toBe('3.3');
    expect(run([bytes('RFB 003.006\n', [1])]).done?.version).toBe('3.3');
    expect(run([bytes('RFB 003.889\n', [1], [1])]).done?.version).toBe('3.8');
    expect(run([bytes('RFB 004.001\n', [1], [1])]).done?.version).toBe('3.8');
  });

  it('rejects a bad banner and a security type we did not offer', () => {
    throwsForEverySplit(Buffer.from('GET / HTTP/1', 'latin1'), run, 'RFB_ERR_BAD_VERSION');
    throwsForEverySplit(Buffer.from('RFB 000.000\n', 'latin1'), run, 'RFB_ERR_BAD_VERSION');
    const err = throwsForEverySplit(bytes(V38, [2]), run, 'RFB_ERR_BAD_SECURITY_TYPE');
    expect(err.field).toBe('security-type');
  });

  it('asserts on misuse: receive before start, start twice, receive after done', () => {
    expect(() => new ServerHandshake().receive(Buffer.from(V38))).toThrow(/state start/);
    const hs = new ServerHandshake();
    hs.start();
    expect(() => hs.start()).toThrow(/twice/);
    expect(hs.receive(bytes(V33, [1])).done).toBeDefined();
    expect(() => hs.receive(Buffer.from([0]))).toThrow(/state done/);
  });

  it('fuzz: random and mutated client transcripts only ever raise ProtocolError', () => {
    const rnd = prng(42);
    const seeds = [bytes(V38, [1], [1]), bytes(V37, [1], [0]), bytes(V33, [1])];
    for (let i = 0; i < 2000; i++) {
      const input = i % 3 === 0 ? Buffer.from(Array.from({ length: Math.floor(rnd() * 30) }, () => Math.floor(rnd() * 256))) : mutate(seeds[i % 3]!, rnd);
      onlyProtocolErrors(() => run(randomChunks(input, rnd, 8)), `case ${i}: ${input.toString('hex')}`);
    }
  });
});

describe('encodeServerInit', () => {
  it('matches hand-built bytes (RFC 6143 §7.3.2) with a UTF-8 name', () => {
    const b = encodeServerInit({ width: 1280, height: 1024, pixelFormat: RGBX_PIXEL_FORMAT, name: 'bmc-ü' });
    const expected = bytes(u16(1280), u16(1024), [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0], u32(6), Buffer.from('bmc-ü', 'utf8'));
    expect(b.toString('hex')).toBe(expected.toString('hex'));
  });
});

describe('ClientHandshake against ServerHandshake, in memory', () => {
  /** Pumps bytes between the two, each direction cut into random chunks; returns both outcomes. */
  function pump(seed: number, shared: boolean): { serverInit: ServerInit; done: ServerHandshakeDone; clientRest: Buffer; serverRest: Buffer } {
    const rnd = prng(seed);
    const client = new ClientHandshake({ shared });
    const server = new ServerHandshake();
    let toClient: Buffer = server.start();
    let toServer: Buffer = Buffer.alloc(0);
    let serverInit: ServerInit | undefined;
    let done: ServerHandshakeDone | undefined;
    let clientRest: Buffer = Buffer.alloc(0);
    let serverRest: Buffer = Buffer.alloc(0);
    for (let round = 0; round < 100 && !(serverInit && done); round++) {
      for (const c of randomChunks(toClient, rnd, 5)) {
        if (serverInit) {
          clientRest = Buffer.concat([clientRest, c]);
          continue;
        }
        const r = client.receive(c);
        toServer = Buffer.concat([toServer, ...r.send]);
        if (r.serverInit) {
          serverInit = r.serverInit;
          clientRest = r.rest!;
        }
      }
      toClient = Buffer.alloc(0);
      // The client's first message stream bytes travel right behind ClientInit.
      if (serverInit) toServer = Buffer.concat([toServer, Buffer.from([2, 0, 0, 0])]);
      for (const c of randomChunks(toServer, rnd, 5)) {
        if (done) {
          serverRest = Buffer.concat([serverRest, c]);
          continue;
        }
        const r = server.receive(c);
        toClient = Buffer.concat([toClient, ...r.send]);
        if (r.done) {
          done = r.done;
          serverRest = r.rest!;
          toClient = Buffer.concat([
            toClient,
            encodeServerInit({ width: 800, height: 600, pixelFormat: RGBX_PIXEL_FORMAT, name: 'gateway' }),
            Buffer.from([2]),
          ]);
        }
      }
      toServer = Buffer.alloc(0);
    }
    expect(serverInit, 'client finished').toBeDefined();
    expect(done, 'server finished').toBeDefined();
    return { serverInit: serverInit!, done: done!, clientRest, serverRest };
  }

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`agrees on 3.8, None, shared and ServerInit (seed ${seed})`, () => {
      const r = pump(seed, seed % 2 === 0);
      expect(r.done).toEqual({ version: '3.8', shared: seed % 2 === 0 });
      expect(r.serverInit).toEqual({ width: 800, height: 600, pixelFormat: { ...RGBX_PIXEL_FORMAT }, name: 'gateway', version: '3.8' });
      expect(r.clientRest.toString('hex')).toBe('02');
      expect(r.serverRest.toString('hex')).toBe('02000000');
    });
  }
});
