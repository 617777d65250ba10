import type { ServerOptions } from 'node:https';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AtenSource, type AtenSourceOptions } from '../../../../../src/sources/aten/aten-source.js';
import type { AtenWebLoginOptions } from '../../../../../src/sources/aten/web-login.js';
import { selfSignedCertificate } from '../../../../helpers/aten/self-signed.js';
import type { Html5Mode } from '../../../../helpers/aten/simulator-html5.js';
import { AtenSimulator, type AtenSimulatorOptions } from '../../../../helpers/aten/simulator.js';
import { AtenSimulatorWeb } from '../../../../helpers/aten/simulator-web.js';
import { meanAbsError, until } from '../../../../integration/aten/helpers.js';
import { recordingSink } from '../../../../helpers/source-sink.js';

const sink = recordingSink;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const cert = selfSignedCertificate();

async function setup(
  o: {
    html5?: Html5Mode;
    jnlp?: boolean;
    kvm?: AtenSimulatorOptions;
    source?: Partial<AtenSourceOptions>;
    tls?: ServerOptions | false;
    webLogin?: Partial<AtenWebLoginOptions>;
  } = {},
) {
  const kvm = new AtenSimulator({ selectors: [11, 11], ...o.kvm });
  await kvm.listen();
  cleanups.push(() => kvm.close());
  const web = new AtenSimulatorWeb(kvm, {
    username: 'ADMIN',
    password: 'secret',
    ...(o.tls === false ? {} : { tls: { key: cert.key, cert: cert.cert, ...o.tls } }),
    ...(o.html5 ? { html5: o.html5 } : {}),
    ...(o.jnlp === false ? { jnlpUrlNames: [] } : {}),
  });
  await web.listen();
  cleanups.push(() => web.close());
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (d: Buffer) => lines.push(d.toString('utf8')));
  const options: AtenSourceOptions = {
    web: { host: `127.0.0.1:${web.port}`, username: 'ADMIN', password: 'secret', insecureTls: true, timeoutMs: 3000, ...o.webLogin },
    connectTimeoutMs: 3000,
    reconnectBudgetMs: 2000,
    keepAliveMs: 100,
    noSignalPollMs: 100,
    ...o.source,
  };
  const source = new AtenSource(options, pino({ level: 'debug' }, out));
  const s = sink();
  cleanups.push(() => source.close());
  return { kvm, web, source, sink: s, log: () => lines.join('') };
}

describe('AtenSource over the HTML5 console (WebSocket on the web port)', () => {
  it('takes the bootstrap ticket, opens wss://…/ with the cookie and origin, shows the screen, types, and logs out after the WebSocket closed', async () => {
    const { kvm, web, source, sink: s, log } = await setup({ html5: true, jnlp: false, source: { transport: 'html5' } });
    source.start(s);
    await until(() => s.events.includes('connected 800x600'), 'connected');
    await until(() => meanAbsError(kvm.screen.rgbx, s.fb.data) < 6, 'the picture');
    expect(kvm.logins).toEqual([{ user: expect.stringMatching(/^[A-Za-z0-9+/]{22}==$/), accepted: true, front: 'html5' }]);
    expect(web.html5!.upgrades).toEqual([
      { path: '/', origin: `https://127.0.0.1:${web.port}`, cookie: expect.stringMatching(/^SID=[0-9a-f]{32}$/), protocol: undefined },
    ]);
    expect(web.requests.map((r) => `${r.method} ${r.url}`).slice(0, 3)).toEqual([
      'POST /cgi/login.cgi',
      'GET /cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap',
      'UPGRADE /',
    ]);
    // The 3-byte 0x37 and the 0x16 the HTML5 firmware sends were read without losing the stream.
    source.input({ type: 'key', down: true, keysym: 0x41, scancode: 0x1e });
    source.input({ type: 'key', down: false, keysym: 0x41, scancode: 0x1e });
    await until(() => kvm.keys.length === 2, 'keys');
    expect(kvm.keys).toEqual([
      { usage: 0x04, down: true },
      { usage: 0x04, down: false },
    ]);
    await until(() => kvm.keepAlives >= 2, 'keep-alives');
    expect(kvm.setEncodingsIgnored).toBe(0); // we never ask: the firmware sends AST2100 whatever we say
    expect(log()).toMatch(/"event":"aten-connected","transport":"html5","target":"wss:\/\/127\.0\.0\.1:\d+\/"/);

    source.close();
    await until(() => web.logouts === 1, 'logout');
    expect(web.logoutsWithOpenConsole).toBe(0);
    expect(web.logoutsWithCsrf).toBe(1);
    expect(s.error).toBeUndefined();
  });

  it('the split ticket layout (X10 firmware 4.00) is presented as configured', async () => {
    const {
      kvm,
      source,
      sink: s,
    } = await setup({ html5: true, kvm: { html5TicketLayout: 'split' }, source: { transport: 'html5', html5TicketLayout: 'split' } });
    source.start(s);
    await until(() => s.events.includes('connected 800x600'), 'connected');
    expect(kvm.logins.map((l) => l.accepted)).toEqual([true]);
  });

  it('the wrong layout is refused by the BMC: GW_ERR_BMC_AUTH_FAILED, and the web session is logged out', async () => {
    const { kvm, web, source, sink: s } = await setup({ html5: true, kvm: { html5TicketLayout: 'split' }, source: { transport: 'html5' } });
    source.start(s);
    await until(() => s.error !== undefined, 'failure');
    expect(s.error).toMatchObject({ code: 'GW_ERR_BMC_AUTH_FAILED' });
    expect(s.error!.message).toMatch(/refused the one-time KVM credentials/);
    expect(kvm.logins.map((l) => l.accepted)).toEqual([false]);
    await until(() => web.logouts === 1, 'logout');
  });

  it('a WebSocket that never sends a byte times out with a clear error under transport html5', async () => {
    const { web, source, sink: s } = await setup({ html5: 'silent', source: { transport: 'html5', connectTimeoutMs: 1500 } });
    source.start(s);
    await until(() => s.error !== undefined, 'failure');
    expect(s.error).toMatchObject({ code: 'GW_ERR_BMC_TIMEOUT' });
    expect(s.error!.message).toMatch(/accepted the HTML5 console WebSocket at wss:\/\/127\.0\.0\.1:\d+\/ but sent nothing within 1500 ms/);
    await until(() => web.logouts === 1, 'logout');
    expect(web.logoutsWithOpenConsole).toBe(0);
  });

  it('auto: a silent HTML5 console falls back to the TCP iKVM port on the same web session', async () => {
    const { kvm, web, source, sink: s, log } = await setup({ html5: 'silent', source: { transport: 'auto', connectTimeoutMs: 1500 } });
    source.start(s);
    await until(() => s.events.includes('connected 800x600'), 'connected over TCP');
    expect(kvm.logins).toEqual([{ user: expect.any(String), accepted: true, front: 'tcp' }]);
    expect(web.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /cgi/login.cgi',
      'GET /cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap',
      'UPGRADE /',
      'GET /cgi/url_redirect.cgi?url_name=ikvm&url_type=jwsk',
    ]);
    expect(log()).toMatch(/"event":"aten-html5-unavailable","code":"GW_ERR_BMC_TIMEOUT","next":"tcp"/);
    // A reconnect of this session goes straight to TCP.
    kvm.dropSessions();
    await until(() => kvm.logins.length === 2, 'second login');
    expect(kvm.logins[1]).toMatchObject({ accepted: true, front: 'tcp' });
    expect(web.requests.filter((r) => r.method === 'UPGRADE')).toHaveLength(1);
  });

  it('auto: a board without the HTML5 page (X9: 404) uses TCP at once; a board with it uses HTML5', async () => {
    const x9 = await setup({ source: { transport: 'auto' } });
    x9.source.start(x9.sink);
    await until(() => x9.sink.events.includes('connected 800x600'), 'X9 connected');
    expect(x9.kvm.logins.map((l) => l.front)).toEqual(['tcp']);
    expect(x9.web.requests.some((r) => r.method === 'UPGRADE')).toBe(false);

    const x11 = await setup({ html5: true, source: { transport: 'auto' } });
    x11.source.start(x11.sink);
    await until(() => x11.sink.events.includes('connected 800x600'), 'X11 connected');
    expect(x11.kvm.logins.map((l) => l.front)).toEqual(['html5']);
    expect(x11.web.requests.some((r) => r.url.includes('jwsk'))).toBe(false);
  });

  it('auto: a WebSocket the BMC closes before its first byte falls back to TCP too', async () => {
    const { kvm, source, sink: s, log } = await setup({ html5: 'hangup', source: { transport: 'auto' } });
    source.start(s);
    await until(() => s.events.includes('connected 800x600'), 'connected over TCP');
    expect(kvm.logins.map((l) => l.front)).toEqual(['tcp']);
    expect(log()).toMatch(/closed the HTML5 console WebSocket before sending anything \(code 1011\); trying tcp/);
  });

  it('over plain HTTP (scheme http) the console is ws:// with an http:// Origin', async () => {
    const { web, source, sink: s } = await setup({ html5: true, tls: false, webLogin: { httpOnly: true }, source: { transport: 'html5' } });
    source.start(s);
    await until(() => s.events.includes('connected 800x600'), 'connected');
    expect(web.html5!.upgrades[0]).toMatchObject({ origin: `http://127.0.0.1:${web.port}` });
  });

  it('a TLS 1.1-only BMC: the console WebSocket gets legacyTls like the web login', async () => {
    const tls11: ServerOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' };
    const { kvm, source, sink: s } = await setup({ html5: true, tls: tls11, webLogin: { legacyTls: true }, source: { transport: 'html5' } });
    source.start(s);
    await until(() => s.events.includes('connected 800x600'), 'connected');
    expect(kvm.logins.map((l) => l.front)).toEqual(['html5']);
  });

  it('transport tcp (the default) never asks for the HTML5 page; on HTML5-only firmware the error says what to set', async () => {
    const { web, source, sink: s } = await setup({ html5: true, jnlp: false });
    source.start(s);
    await until(() => s.error !== undefined, 'failure');
    expect(s.error).toMatchObject({ code: 'GW_ERR_BMC_PROTOCOL' });
    expect(s.error!.message).toMatch(/no iKVM JNLP .*set transport: html5 \(or auto\)/);
    expect(web.requests.some((r) => r.url.includes('html5'))).toBe(false);
  });
});
