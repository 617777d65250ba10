import { Writable } from 'node:stream';
import { validate } from '../../../src/config/load.js';
import { ConfigReader } from '../../../src/config/reader.js';
import { createLogger } from '../../../src/log.js';
import { buildGateway } from '../../../src/server.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { freePort } from '../../helpers/ports.js';

/**
 * Like test/helpers/gateway.ts startTestGateway, but every log line is kept (parsed JSON) so the
 * IPMI tests can check the audit lines and that no secret reaches the log.
 */
export async function startLoggedGateway(raw: Record<string, unknown>): Promise<TestGateway & { logLines: Record<string, unknown>[]; logText: () => string }> {
  const port = await freePort();
  const r = new ConfigReader();
  // One process unless the test asks for workers: the log read here is this process's.
  const cfg = validate(r, { listen: `127.0.0.1:${port}`, publicUrl: `http://127.0.0.1:${port}`, workers: 0, ...raw }, 'test');
  if (!cfg) throw new Error(`test config invalid: ${r.problems.join('; ')}`);
  const lines: string[] = [];
  let partial = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = partial + chunk.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop()!;
      lines.push(...parts.filter((l) => l.length > 0));
      done();
    },
  });
  const gw = await buildGateway(cfg, createLogger('debug', sink));
  await gw.app.listen({ host: '127.0.0.1', port });
  return {
    ...gw,
    url: `http://127.0.0.1:${port}`,
    port,
    get logLines() {
      return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    logText: () => lines.join('\n'),
  };
}

export async function rest(
  gw: { url: string },
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export async function waitFor<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}
