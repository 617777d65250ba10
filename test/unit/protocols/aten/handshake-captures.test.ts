import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { AtenClientHandshake } from '../../../../protocols/aten/handshake.js';
import { atenHtml5Credentials } from '../../../../protocols/aten/html5-ticket.js';
import { selfSignedCertificate } from '../../../helpers/aten/self-signed.js';
import { AtenSimulator } from '../../../helpers/aten/simulator.js';
import { AtenSimulatorWeb } from '../../../helpers/aten/simulator-web.js';

/**
 * Our ATEN handshake and our simulator against real handshakes: `../shared/fixtures/aten/handshakes/`
 * holds the first packets of TCP iKVM sessions with an X9SRW-F, X10DRU-i+, X10SLL-F and X11SSH-F
 * (two). Each capture runs to the 24-byte challenge, then the capturing client hung up.
 *
 * What they confirm: the banner (`RFB 003.008`) and its verbatim echo, one security type offered
 * (16) and chosen with one byte, exactly 24 challenge bytes, and a server that then waits for the
 * client. The HTML5 console runs the same protocol on a WebSocket, so these steps are checked on our
 * HTML5 front too. What they cannot confirm: anything after the challenge (credential layout,
 * SecurityResult, the ServerInit extension, messages 57/55/22), the HTML5 banner `055.008`, the
 * bootstrap ticket, the WebSocket upgrade. Those rest on the public clients' descriptions
 * (html5-ticket.test.ts writes them out byte by byte).
 */
const here = dirname(fileURLToPath(import.meta.url));
const DIR = resolve(here, '../../../../../shared/fixtures/aten/handshakes');

interface Segment {
  fromServer: boolean;
  payload: Buffer;
}

/** TCP payloads of a classic libpcap file (Ethernet, IPv4), in capture order. Local to this test on purpose. */
function tcpSegments(file: string, serverPort: number): Segment[] {
  const d = readFileSync(file);
  const magic = d.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4;
  if (!le && d.readUInt32BE(0) !== 0xa1b2c3d4) throw new Error(`${file}: not a libpcap file`);
  const u32 = (o: number) => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  if (u32(20) !== 1) throw new Error(`${file}: link type ${u32(20)} is not Ethernet`);
  const out: Segment[] = [];
  for (let off = 24; off + 16 <= d.length;) {
    const incl = u32(off + 8);
    const frame = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (frame.readUInt16BE(12) !== 0x0800) continue; // IPv4 only
    const ip = frame.subarray(14);
    if (ip[9] !== 6) continue; // TCP
    const ihl = (ip[0]! & 15) * 4;
    const tcp = ip.subarray(ihl, ip.readUInt16BE(2));
    const payload = tcp.subarray((tcp[12]! >> 4) * 4);
    if (payload.length > 0) out.push({ fromServer: tcp.readUInt16BE(0) === serverPort, payload: Buffer.from(payload) });
  }
  return out;
}

const captures = readdirSync(DIR)
  .filter((f) => f.endsWith('.pcap'))
  .sort();

describe('real X9-X11 iKVM handshakes (TCP captures)', () => {
  it('are all here', () => {
    expect(captures).toEqual(['X10DRU-i+_2.12.pcap', 'X10SLL-F_1.35.pcap', 'X11SSH-F_1.11-2.pcap', 'X11SSH-F_1.11.pcap', 'X9SRW-F_3.39.pcap']);
  });

  for (const name of captures) {
    it(`${name}: fed the server's segments, AtenClientHandshake sends what the real client sent, then the 48 credential bytes`, () => {
      const segments = tcpSegments(join(DIR, name), 5900);
      const server = segments.filter((s) => s.fromServer).map((s) => s.payload);
      const client = segments.filter((s) => !s.fromServer).map((s) => s.payload);
      // The shape of every capture: banner, types, challenge from the server; echo and type from the client.
      expect(server.map((b) => b.length)).toEqual([12, 2, 24]);
      expect(client.map((b) => b.length)).toEqual([12, 1]);
      expect(server[0]!.toString('latin1')).toBe('RFB 003.008\n');
      expect(server[1]).toEqual(Buffer.from([1, 16]));

      const hs = new AtenClientHandshake({ username: 'u', password: 'p' });
      expect(Buffer.concat(hs.receive(server[0]!).send)).toEqual(client[0]);
      expect(Buffer.concat(hs.receive(server[1]!).send)).toEqual(client[1]);
      // Split anywhere, the challenge is answered only once complete, with exactly 48 bytes.
      expect(hs.receive(server[2]!.subarray(0, 23)).send).toEqual([]);
      const answer = Buffer.concat(hs.receive(server[2]!.subarray(23)).send);
      expect(answer).toEqual(Buffer.concat([Buffer.from('u'), Buffer.alloc(23), Buffer.from('p'), Buffer.alloc(23)]));
    });
  }
});

describe("our simulator answers the real clients' bytes as the real boards did", () => {
  const cert = selfSignedCertificate();
  let kvm: AtenSimulator;
  let web: AtenSimulatorWeb;
  const reference = tcpSegments(join(DIR, 'X11SSH-F_1.11.pcap'), 5900);
  const realServer = reference.filter((s) => s.fromServer).map((s) => s.payload);
  const realClient = reference.filter((s) => !s.fromServer).map((s) => s.payload);

  beforeAll(async () => {
    kvm = new AtenSimulator();
    await kvm.listen();
    web = new AtenSimulatorWeb(kvm, { username: 'ADMIN', password: 'pw', tls: { key: cert.key, cert: cert.cert }, html5: true });
    await web.listen();
  });
  afterAll(async () => {
    await web.close();
    await kvm.close();
  });

  /** Plays the real client's segments, then 48 credential bytes; returns everything the server sent, per step. */
  async function play(
    open: () => { send(b: Buffer): void; onData(fn: (b: Buffer) => void): void; onClose(fn: () => void): void },
    creds: Buffer,
  ): Promise<Buffer[]> {
    const link = open();
    let buf = Buffer.alloc(0);
    let closed = false;
    let wake = () => {};
    link.onData((b) => {
      buf = Buffer.concat([buf, b]);
      wake();
    });
    link.onClose(() => {
      closed = true;
      wake();
    });
    const read = async (n: number) => {
      const deadline = Date.now() + 10_000;
      while (buf.length < n) {
        if (closed || Date.now() > deadline) throw new Error(`wanted ${n} bytes, have ${buf.length}${closed ? ' (closed)' : ''}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 200);
        });
      }
      const out = buf.subarray(0, n);
      buf = buf.subarray(n);
      return out;
    };
    const steps: Buffer[] = [];
    steps.push(await read(12));
    link.send(steps[0]!); // the echo, verbatim, as the real client did
    steps.push(await read(2));
    link.send(realClient[1]!);
    steps.push(await read(24));
    link.send(creds);
    steps.push(await read(4));
    // After a refused SecurityResult the server closes: nothing else was pending after the challenge.
    const deadline = Date.now() + 10_000;
    while (!closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toBe(true);
    expect(buf.length).toBe(0);
    return steps;
  }

  it('TCP front: the same banner and security types as the X11SSH-F, a 24-byte challenge, then it waits for 48 bytes', async () => {
    const steps = await play(
      () => {
        const s = connect(kvm.port, '127.0.0.1');
        return { send: (b) => s.write(b), onData: (fn) => s.on('data', fn), onClose: (fn) => s.on('close', fn) };
      },
      Buffer.alloc(48, 0x41),
    );
    expect(steps[0]).toEqual(realServer[0]);
    expect(steps[1]).toEqual(realServer[1]);
    expect(steps[2]!.length).toBe(realServer[2]!.length);
    expect(steps[3]).toEqual(Buffer.from([0, 0, 0, 1])); // unknown credentials refused
  });

  it('HTML5 front (WSS): banner 055.008, then the same security types and challenge length; a ticket in the wrong place is refused', async () => {
    const page = await fetchBootstrap();
    const ticket = /id="entry_value" value="([^"]+)"/.exec(page.body)![1]!;
    // The ticket in the password field instead of the user field: not the layout this "firmware" wants.
    const { username } = atenHtml5Credentials(ticket, 'whole');
    const steps = await play(
      () => {
        const ws = new WebSocket(`wss://127.0.0.1:${web.port}/`, {
          origin: `https://127.0.0.1:${web.port}`,
          headers: { cookie: page.cookie },
          rejectUnauthorized: false,
        });
        const queue: Buffer[] = [];
        ws.on('open', () => queue.splice(0).forEach((b) => ws.send(b)));
        return {
          send: (b) => (ws.readyState === WebSocket.OPEN ? ws.send(b) : queue.push(b)),
          onData: (fn) => ws.on('message', (d: Buffer) => fn(d)),
          onClose: (fn) => ws.on('close', fn),
        };
      },
      Buffer.concat([Buffer.alloc(24), username]),
    );
    expect(steps[0]!.toString('latin1')).toBe('RFB 055.008\n');
    expect(steps[1]).toEqual(realServer[1]);
    expect(steps[2]!.length).toBe(realServer[2]!.length);
    expect(steps[3]).toEqual(Buffer.from([0, 0, 0, 1]));
    expect(kvm.logins.at(-1)).toMatchObject({ accepted: false, front: 'html5' });
  });

  /** Logs in to the simulator's web side and fetches the bootstrap page (plain https, no gateway code). */
  async function fetchBootstrap(): Promise<{ cookie: string; body: string }> {
    const { request } = await import('node:https');
    const get = (method: string, path: string, headers: Record<string, string>, body?: string) =>
      new Promise<{ res: IncomingMessage; body: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: web.port, method, path, headers, rejectUnauthorized: false }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve({ res, body: b }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const login = await get('POST', '/cgi/login.cgi', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=ADMIN&pwd=pw');
    const sid = (login.res.headers['set-cookie'] ?? [])
      .map((c) => /^SID=([^;]+)/.exec(c)?.[1])
      .filter(Boolean)
      .at(-1)!;
    const page = await get('GET', '/cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap', { cookie: `SID=${sid}` });
    return { cookie: `SID=${sid}`, body: page.body };
  }
});
