import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readBmcStream } from '../../../src/sources/aten/capture-stream.js';
import { findingAt, ports, probeJson } from './helpers.js';

/**
 * The probe's ATEN verdict against real boards' bytes: ../shared/fixtures/aten/handshakes/ holds the
 * first packets of iKVM sessions with an X9SRW-F, X10DRU-i+, X10SLL-F and X11SSH-F (banner, security
 * types, the 24-byte block; the capturing client hung up there, as the probe does). A small server
 * answers each client step with the board's next captured bytes, then stays silent.
 */
const DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/fixtures/aten/handshakes');
const captures = readdirSync(DIR)
  .filter((f) => f.endsWith('.pcap'))
  .sort();

async function replayServer(file: string): Promise<{ port: number; server: Server; clientBytes: Buffer[] }> {
  const bmc = (await readBmcStream(join(DIR, file))).data;
  expect(bmc.length).toBe(12 + 2 + 24);
  const steps = [bmc.subarray(0, 12), bmc.subarray(12, 14), bmc.subarray(14, 38)];
  const clientBytes: Buffer[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    let got = Buffer.alloc(0);
    let next = 1;
    // The board speaks after the client's 12-byte banner echo, then after its 1-byte type choice.
    const wants = [12, 13];
    s.write(steps[0]!);
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      clientBytes.push(Buffer.from(d));
      while (next < steps.length && got.length >= wants[next - 1]!) s.write(steps[next++]!);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as { port: number }).port, server, clientBytes };
}

describe('probe: real X9-X11 iKVM handshakes (captures replayed)', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  it('has the five captures', () => {
    expect(captures).toEqual(['X10DRU-i+_2.12.pcap', 'X10SLL-F_1.35.pcap', 'X11SSH-F_1.11-2.pcap', 'X11SSH-F_1.11.pcap', 'X9SRW-F_3.39.pcap']);
  });

  for (const file of captures) {
    it(`${file}: ATEN iKVM, and the probe sent no credentials`, async () => {
      const r = await replayServer(file);
      servers.push(r.server);
      const { report } = await probeJson(['127.0.0.1', ...(await ports({ rfb: [r.port] }))]);
      expect(findingAt(report, `tcp/${r.port}`)).toMatchObject({
        probe: 'aten-tcp',
        outcome: 'found',
        facts: { kind: 'aten', banner: 'RFB 003.008', securityTypes: [16], challengeBytes: 24 },
      });
      // What the board received over both connections: banners and one type byte (16), nothing else.
      const all = Buffer.concat(r.clientBytes);
      expect(all.toString('latin1').replaceAll('RFB 003.008\n', '')).toBe('\x10');
      expect(report.chosen[0]).toMatchObject({ block: 'console', config: { type: 'aten', transport: 'tcp' } });
    });
  }
});
