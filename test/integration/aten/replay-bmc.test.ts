import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtenReplayBmc } from '../../../bench/aten-replay-bmc.js';
import { ProtocolError } from '../../../protocols/errors.js';
import { GatewayError } from '../../../src/errors.js';
import { AtenSource } from '../../../src/sources/aten/aten-source.js';
import { bmcStreamOf, type BmcStream } from '../../../src/sources/aten/capture-stream.js';
import { FakeSink } from '../../helpers/aten/fake-sink.js';
import { startTestGateway, TEST_TOKEN, type TestGateway } from '../../helpers/gateway.js';
import { prng } from '../../helpers/prng.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';
import { atenReplayFinalPicture, until } from './helpers.js';

const FIX = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/aten');
const X10 = join(FIX, 'sessions/X10SRi-F_1.89.pcap');
const WEB = { webUser: 'ADMIN', webPassword: 'replay-web-pw' };

describe('the X10SRi-F capture replayed by a BMC, through the gateway', () => {
  let final: { width: number; height: number; rgbx: Buffer };
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    final = await atenReplayFinalPicture(X10);
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  for (const speed of ['max', 'original'] as const) {
    it(`an aten console at ${speed} speed ends on the same picture as aten-replay`, async () => {
      const bmc = await AtenReplayBmc.start({ stream: bmcStreamOf(readFileSync(X10)), speed, ...WEB });
      cleanups.push(() => bmc.close());
      const gw: TestGateway = await startTestGateway({
        tokens: [{ token: TEST_TOKEN, servers: ['x10'] }],
        servers: [{ id: 'x10', console: bmc.consoleConfig() }],
      });
      cleanups.push(() => gw.close());
      const res = await fetch(`${gw.url}/api/v1/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ serverId: 'x10' }),
      });
      const body = (await res.json()) as { url: string };
      expect(res.status, JSON.stringify(body)).toBe(201);
      const viewer = new WsRfbClient(body.url.replace(/^http/, 'ws').replace('/console/', '/ws/'));
      cleanups.push(async () => viewer.close());
      await viewer.ready();
      await viewer.waitFor(() => bmc.updatesSent === 108 && !!viewer.fb && viewer.fb.width === 1280 && viewer.fb.data.equals(final.rgbx), 30_000);
      expect(bmc.logins).toEqual([expect.objectContaining({ accepted: true })]);
      // The gateway asked for every update after the first (one request outstanding, as the Java client does).
      expect(bmc.framebufferUpdateRequests).toBeGreaterThanOrEqual(108);
    });
  }
});

describe('the aten source on corrupted captures', () => {
  it('truncated, bit-flipped and shuffled BMC streams end in typed errors only: ProtocolErrors, or the BMC closing', async () => {
    const clean = bmcStreamOf(readFileSync(X10));
    const rnd = prng(0x5eed);
    const chunks = clean.chunks.map((c) => clean.data.subarray(c.offset, c.offset + c.length));
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      let data: Buffer;
      if (i % 3 === 0) data = clean.data.subarray(0, Math.floor(rnd() * clean.data.length));
      else if (i % 3 === 1) {
        data = Buffer.from(clean.data);
        for (let k = 0; k < 1 + Math.floor(rnd() * 20); k++) {
          const j = Math.floor(rnd() * data.length);
          data[j] = data[j]! ^ (1 << Math.floor(rnd() * 8));
        }
      } else {
        const c = [...chunks];
        for (let k = 0; k < 4; k++) {
          const a = 5 + Math.floor(rnd() * (c.length - 5));
          const b = 5 + Math.floor(rnd() * (c.length - 5));
          [c[a], c[b]] = [c[b]!, c[a]!];
        }
        data = Buffer.concat(c);
      }
      const stream: BmcStream = { ...clean, data, chunks: [{ offset: 0, length: data.length, timeUs: 0 }] };
      const bmc = await AtenReplayBmc.start({ stream, speed: 'max', raw: true, ...WEB });
      const logs: Record<string, unknown>[] = [];
      const log = pino({ level: 'debug' }, new Writable({ write: (c, _e, cb) => (logs.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
      const source = new AtenSource(
        {
          web: { host: `127.0.0.1:${bmc.webPort}`, username: WEB.webUser, password: WEB.webPassword, httpOnly: true, timeoutMs: 3000 },
          kvmHost: '127.0.0.1',
          connectTimeoutMs: 1500,
          reconnectBudgetMs: 0,
          keepAliveMs: 1000,
          noSignalPollMs: 200,
          watchdogMs: 1000,
        },
        log,
      );
      const sink = new FakeSink();
      source.start(sink);
      try {
        await until(() => sink.errors.length > 0, `the source to end on corruption ${i}`, 20_000);
      } finally {
        source.close();
        await bmc.close();
      }
      for (const outer of sink.errors) {
        // With no reconnect budget the policy wraps what ended the working link: look at that.
        const e = outer instanceof GatewayError && /reconnect budget/.test(outer.message) ? (outer.cause as Error) : outer;
        expect(e, `round ${i}: ${e.message}`).toBeInstanceOf(GatewayError);
        const code = (e as GatewayError).code;
        expect(['GW_ERR_BMC_PROTOCOL', 'GW_ERR_BMC_UNREACHABLE', 'GW_ERR_BMC_TIMEOUT', 'GW_ERR_BMC_AUTH_FAILED'], `round ${i}: ${e.message}`).toContain(code);
        if (code === 'GW_ERR_BMC_PROTOCOL' || code === 'GW_ERR_BMC_AUTH_FAILED') expect(e.cause).toBeInstanceOf(ProtocolError);
        if (code === 'GW_ERR_BMC_UNREACHABLE') expect(e.message).toMatch(/closed the KVM connection/);
        seen.add(e.cause instanceof ProtocolError ? e.cause.code : code);
      }
      for (const l of logs.filter((x) => x.event === 'aten-video-error')) {
        expect(String(l.code)).toMatch(/^ATEN_ERR_/);
        seen.add(`video ${String(l.code)}`);
      }
    }
    // The corruptions reached the parsers (not only the socket closing): message, handshake or video errors.
    expect([...seen].some((c) => c.startsWith('ATEN_ERR_') || c.startsWith('video '))).toBe(true);
  });
});
