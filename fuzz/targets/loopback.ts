import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { makeSelfSigned } from '../../src/net/tls.js';
import { probeRedfishRoot } from '../../src/probe/redfish-root.js';
import { probeRfbPort } from '../../src/probe/rfb-port.js';
import type { ProbeOptions } from '../../src/probe/types.js';
import { WebLooker } from '../../src/probe/web-get.js';
import { BmcwebSession } from '../../src/sources/openbmc/bmcweb-session.js';
import { isGatewayError } from './redfish.js';
import { chunks, type FuzzTarget } from '../types.js';

/**
 * Targets whose parser reads from a socket: a server on 127.0.0.1 (nothing else is ever contacted)
 * answers each connection with the current input's bytes, in the input's chunks, then ends. Slower
 * than in-process targets (a connection, for HTTPS a TLS handshake, per input) but they drive the
 * code exactly as a BMC would, HTTP parsing (undici) included.
 */
class AnsweringServer {
  answer: Buffer = Buffer.alloc(0);
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  async start(tls: boolean): Promise<void> {
    const onSocket = (s: Socket) => {
      s.on('error', () => {});
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
      const reply = () => {
        for (const c of chunks(this.answer)) s.write(c);
        s.end();
      };
      if (!tls) return reply(); // RFB: the server speaks first
      // HTTP: answer once the request's head has arrived.
      let head = '';
      const onData = (d: Buffer) => {
        head += d.toString('latin1');
        if (head.includes('\r\n\r\n')) {
          s.off('data', onData);
          s.resume();
          reply();
        }
      };
      s.on('data', onData);
    };
    if (tls) {
      const { cert, key } = makeSelfSigned(['127.0.0.1']);
      this.#server = createTlsServer({ cert, key }, onSocket);
    } else this.#server = createTcpServer(onSocket);
    this.#server.on('error', () => {});
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    // Connections a run left open would keep close() waiting for ever.
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()) ?? resolve());
    this.#server = undefined;
  }
}

const http = (status: string, headers: string[], body: string) =>
  Buffer.from(`HTTP/1.1 ${status}\r\n${[...headers, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`);

const bmcweb = new AnsweringServer();

/** bmcweb's Redfish login answer (redfish-core/lib/redfish_sessions.hpp) as BmcwebSession.login reads it, then the logout. */
export const bmcwebLogin: FuzzTarget = {
  name: 'bmcweb-login',
  description:
    'OpenBMC bmcweb session login over HTTPS on loopback: the raw HTTP answer (status, X-Auth-Token, Location or @odata.id, body) → BmcwebSession, then DELETE',
  coverage: ['/src/sources/openbmc/', '/src/util/bmc-http'],
  maxInputBytes: 8 * 1024,
  suiteInputs: 100,
  seeds: () => [
    http(
      '201 Created',
      [
        'Content-Type: application/json',
        'X-Auth-Token: 6TAtI3mZmpVn6W0yTMqU',
        'Location: /redfish/v1/SessionService/Sessions/Pq8hUd1Y3c',
        'OData-Version: 4.0',
      ],
      JSON.stringify({
        '@odata.id': '/redfish/v1/SessionService/Sessions/Pq8hUd1Y3c',
        '@odata.type': '#Session.v1_5_0.Session',
        Id: 'Pq8hUd1Y3c',
        UserName: 'root',
      }),
    ),
    http('201 Created', ['X-Auth-Token: tok'], JSON.stringify({ '@odata.id': '/redfish/v1/SessionService/Sessions/abc' })),
    http('401 Unauthorized', ['WWW-Authenticate: Basic'], ''),
    http('200 OK', ['X-Auth-Token: tok', 'Location: https://127.0.0.1:1/redfish/v1/SessionService/Sessions/x'], ''),
  ],
  setup: () => bmcweb.start(true),
  teardown: () => bmcweb.stop(),
  async run(input) {
    bmcweb.answer = input;
    const s = await BmcwebSession.login({
      hostForUrl: `127.0.0.1:${bmcweb.port}`,
      user: 'root',
      password: '0penBmc',
      insecureTls: true,
      legacyTls: false,
      timeoutMs: 2000,
    });
    return `login:${s.origin === `https://127.0.0.1:${bmcweb.port}`}:logout:${await s.logout()}`;
  },
  expected: isGatewayError,
};

const rfb = new AnsweringServer();
const web = new AnsweringServer();
let looker: WebLooker | undefined;
const probeOptions = (port: number): ProbeOptions => ({
  host: '127.0.0.1',
  rfbPorts: [port],
  webPort: port,
  ipmiPort: 1,
  timeoutMs: 1000,
  user: 'fuzz',
  password: 'fuzz-pw',
  insecureTls: true,
});

/**
 * `bmc-gateway probe`'s readers, each on what a device answered: the first byte picks the RFB port
 * probe (RFB, VeNCrypt/TLS, ATEN, silent ports; a finding for each) or the Redfish service root probe
 * (a raw HTTPS answer). A probe must turn any answer into a finding, never throw.
 */
export const probe: FuzzTarget = {
  name: 'probe',
  description:
    'bmc-gateway probe on loopback: probeRfbPort (RFB/ATEN/VeNCrypt answers → finding) and probeRedfishRoot (raw HTTPS answer → finding); must never throw',
  coverage: ['/src/probe/', '/protocols/rfb/client-handshake', '/protocols/aten/handshake'],
  maxInputBytes: 4 * 1024,
  suiteInputs: 100,
  seeds: () => {
    const c = (n: number, b: Buffer) => Buffer.concat([Buffer.from([n]), b]);
    const init = Buffer.concat([Buffer.from([0, 32, 0, 16, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0, 0, 0, 0, 4]), Buffer.from('qemu')]);
    return [
      c(0, Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 1]), Buffer.alloc(4), init])),
      c(0, Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 2]), Buffer.alloc(16, 7), Buffer.from([0, 0, 0, 1, 0, 0, 0, 4]), Buffer.from('nope')])),
      c(0, Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([1, 19, 0, 2, 2, 0, 0, 1, 3, 0, 0, 1, 4])])),
      // Supermicro ATEN iKVM: banner 055.008, type 16 alone, the 24-byte block (the X10/X11 captures).
      c(0, Buffer.concat([Buffer.from('RFB 055.008\n'), Buffer.from([1, 16]), Buffer.alloc(24, 0x41)])),
      c(
        1,
        http(
          '200 OK',
          ['Content-Type: application/json'],
          JSON.stringify({
            '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
            RedfishVersion: '1.17.0',
            Vendor: 'OpenBMC',
            Systems: { '@odata.id': '/redfish/v1/Systems' },
            Links: { Sessions: { '@odata.id': '/redfish/v1/SessionService/Sessions' }, ManagerProvidingService: { '@odata.id': '/redfish/v1/Managers/bmc' } },
          }),
        ),
      ),
      c(1, http('200 OK', ['Content-Type: text/html'], '<html><a href="/cgi/login.cgi">login</a></html>')),
    ];
  },
  async setup() {
    await rfb.start(false);
    await web.start(true);
    looker = new WebLooker({ legacyTls: false, timeoutMs: 2000 });
  },
  async teardown() {
    await looker?.close();
    await rfb.stop();
    await web.stop();
  },
  async run(input) {
    const body = input.subarray(1);
    const signal = new AbortController().signal;
    if (((input[0] ?? 0) & 1) === 0) {
      rfb.answer = body;
      const f = await probeRfbPort(probeOptions(rfb.port), rfb.port, signal);
      return `rfb:${f.probe}:${f.outcome}:${(f.facts as { kind?: string }).kind}`;
    }
    web.answer = body;
    const f = await probeRedfishRoot(probeOptions(web.port), looker!);
    return `redfish:${f.outcome}`;
  },
  expected: () => false,
};
