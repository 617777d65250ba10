import { describe, expect, it } from 'vitest';
import { RfbError } from '../../../../protocols/errors.js';
import { ClientHandshake } from '../../../../protocols/rfb/client-handshake.js';
import { ServerHandshake, type ServerHandshakeOptions } from '../../../../protocols/rfb/server-handshake.js';
import { bytes, mutate, onlyProtocolErrors, prng, randomChunks, sameForEverySplit, throwsForEverySplit, u32 } from './rfb-test-helpers.js';

/**
 * The VNC Authentication option of ServerHandshake (rfbproto §7.1.2, §7.2.2, §7.1.3). Vectors are
 * hand-built; the response to challenge 00..0f under password "password" was computed with the
 * openssl command (see vnc-auth.test.ts), not with our DES code.
 */
const CHALLENGE = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const GOOD_RESPONSE = Buffer.from('b866924125c8eebb9debc1db61c538e2', 'hex');
const BAD_RESPONSE = Buffer.from('b866924125c8eebb9debc1db61c538e3', 'hex');
const AUTH: ServerHandshakeOptions = { vncAuth: { password: 'password', challenge: CHALLENGE } };
const V38 = 'RFB 003.008\n';
const V37 = 'RFB 003.007\n';
const V33 = 'RFB 003.003\n';

interface Outcome {
  sent: string;
  done?: { version: string; shared: boolean };
  rest?: string;
  refused?: string;
}

/** Feeds `chunks` to a fresh handshake; bytes arriving after ClientInit are collected as `rest`. */
function run(options: ServerHandshakeOptions | undefined, chunks: Buffer[]): Outcome {
  const hs = new ServerHandshake(options);
  const sent: Buffer[] = [hs.start()];
  const out: Outcome = { sent: '' };
  const rest: Buffer[] = [];
  for (const c of chunks) {
    if (out.done) {
      rest.push(c);
      continue;
    }
    if (out.refused) throw new Error('input after refusal');
    const r = hs.receive(c);
    sent.push(...r.send);
    if (r.done) {
      out.done = r.done;
      rest.push(r.rest!);
    }
    if (r.refused) out.refused = r.refused.code;
  }
  out.sent = Buffer.concat(sent).toString('hex');
  if (out.done) out.rest = Buffer.concat(rest).toString('hex');
  return out;
}

const hex = (...parts: Parameters<typeof bytes>): string => bytes(...parts).toString('hex');

describe('ServerHandshake with VNC Authentication', () => {
  it('3.8: offers only type 2, sends the challenge, accepts the right response', () => {
    const input = bytes(V38, 2, GOOD_RESPONSE, 1, 0xaa, 0xbb);
    const r = sameForEverySplit(input, (chunks) => run(AUTH, chunks));
    expect(r.sent).toBe(hex(V38, [1, 2], CHALLENGE, u32(0)));
    expect(r.done).toEqual({ version: '3.8', shared: true });
    expect(r.rest).toBe('aabb');
  });

  it('3.7: same exchange, and SecurityResult is sent (it is only skipped for None)', () => {
    const r = sameForEverySplit(bytes(V37, 2, GOOD_RESPONSE, 0), (chunks) => run(AUTH, chunks));
    expect(r.sent).toBe(hex(V38, [1, 2], CHALLENGE, u32(0)));
    expect(r.done).toEqual({ version: '3.7', shared: false });
  });

  it('3.3: the server names type 2 as a U32 and the challenge follows directly', () => {
    const r = sameForEverySplit(bytes(V33, GOOD_RESPONSE, 1), (chunks) => run(AUTH, chunks));
    expect(r.sent).toBe(hex(V38, u32(2), CHALLENGE, u32(0)));
    expect(r.done).toEqual({ version: '3.3', shared: true });
  });

  it('3.8: a wrong response gets SecurityResult failed with a reason, and a refused result', () => {
    const r = sameForEverySplit(bytes(V38, 2, BAD_RESPONSE), (chunks) => run(AUTH, chunks));
    const reason = 'authentication failed';
    expect(r.sent).toBe(hex(V38, [1, 2], CHALLENGE, u32(1), u32(reason.length), reason));
    expect(r.refused).toBe('RFB_ERR_AUTH_FAILED');
    expect(r.done).toBeUndefined();
  });

  it('3.7 and 3.3: a wrong response gets SecurityResult failed without a reason', () => {
    const r37 = sameForEverySplit(bytes(V37, 2, BAD_RESPONSE), (chunks) => run(AUTH, chunks));
    expect(r37.sent).toBe(hex(V38, [1, 2], CHALLENGE, u32(1)));
    expect(r37.refused).toBe('RFB_ERR_AUTH_FAILED');
    const r33 = sameForEverySplit(bytes(V33, BAD_RESPONSE), (chunks) => run(AUTH, chunks));
    expect(r33.sent).toBe(hex(V38, u32(2), CHALLENGE, u32(1)));
    expect(r33.refused).toBe('RFB_ERR_AUTH_FAILED');
  });

  it('refuses a client that picks None when only VNC Authentication was offered', () => {
    throwsForEverySplit(bytes(V38, 1), (chunks) => run(AUTH, chunks), 'RFB_ERR_BAD_SECURITY_TYPE');
  });

  it('without the option still offers only None (the existing behaviour)', () => {
    const r = sameForEverySplit(bytes(V38, 1, 1), (chunks) => run(undefined, chunks));
    expect(r.sent).toBe(hex(V38, [1, 1], u32(0)));
    expect(r.done).toEqual({ version: '3.8', shared: true });
    throwsForEverySplit(bytes(V38, 2), (chunks) => run(undefined, chunks), 'RFB_ERR_BAD_SECURITY_TYPE');
  });

  it('copies the challenge and asserts its length', () => {
    const challenge = Buffer.from(CHALLENGE);
    const hs = new ServerHandshake({ vncAuth: { password: 'password', challenge } });
    challenge.fill(0);
    hs.start();
    const r = hs.receive(bytes(V38, 2));
    expect(Buffer.concat(r.send).subarray(2).equals(CHALLENGE)).toBe(true);
    expect(() => new ServerHandshake({ vncAuth: { password: 'x', challenge: new Uint8Array(8) } })).toThrow(/16 bytes/);
  });

  it('interoperates with ClientHandshake for every version, right and wrong password', () => {
    for (const [password, ok] of [
      ['password', true],
      ['wrong', false],
      ['passwordXYZ', true],
    ] as const) {
      const server = new ServerHandshake(AUTH);
      const client = new ClientHandshake({ password, shared: true });
      let toClient = [server.start()];
      let clientDone = false;
      let clientError: unknown;
      let serverRefused: RfbError | undefined;
      for (let round = 0; round < 10 && !clientDone && clientError === undefined; round++) {
        const toServer: Buffer[] = [];
        try {
          for (const b of toClient) {
            const r = client.receive(b);
            toServer.push(...r.send);
            if (r.serverInit) clientDone = true;
          }
        } catch (err) {
          clientError = err;
          break;
        }
        toClient = [];
        for (const b of toServer) {
          const r = server.receive(b);
          toClient.push(...r.send);
          if (r.refused) serverRefused = r.refused;
          // ServerInit is the caller's job; a minimal one lets the client finish.
          if (r.done) toClient.push(bytes([0, 8, 0, 8], [32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0], u32(0)));
        }
      }
      if (ok) {
        expect(clientDone, password).toBe(true);
      } else {
        expect(serverRefused?.code).toBe('RFB_ERR_AUTH_FAILED');
        expect(clientError).toBeInstanceOf(RfbError);
        expect((clientError as RfbError).code).toBe('RFB_ERR_AUTH_FAILED');
        expect((clientError as RfbError).message).toMatch(/authentication failed/);
      }
    }
  });

  it('fuzz: mutated client streams only ever raise RfbError or end refused', () => {
    const rnd = prng(0x5eed);
    const seeds = [bytes(V38, 2, GOOD_RESPONSE, 1), bytes(V37, 2, BAD_RESPONSE), bytes(V33, GOOD_RESPONSE, 0)];
    for (let i = 0; i < 2000; i++) {
      const input = mutate(seeds[i % seeds.length]!, rnd);
      onlyProtocolErrors(() => {
        const hs = new ServerHandshake(AUTH);
        hs.start();
        for (const c of randomChunks(input, rnd, 8)) {
          const r = hs.receive(c);
          if (r.done || r.refused) break;
        }
      }, `case ${i}`);
    }
  });
});
