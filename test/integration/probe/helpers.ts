import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'yaml';
import { loadConfigFile } from '../../../src/config/load.js';
import type { GatewayConfig } from '../../../src/config/types.js';
import { probeCommand } from '../../../src/probe/probe-command.js';
import type { ProbeReport } from '../../../src/probe/types.js';
import { captureIo } from '../../helpers/cli-io.js';
import { eqPhp, startTestGateway, TEST_TOKEN } from '../../helpers/gateway.js';
import { closedPort } from '../../helpers/ports.js';
import { WsRfbClient } from '../../helpers/ws-rfb-client.js';

/** `bmc-gateway probe …` as src/cli.ts runs it, with its output captured. */
export async function runProbeCli(args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  stdin.end(o.stdin ?? '');
  const io = captureIo(stdin, 'utf8');
  const code = await probeCommand(args, io, o.env ?? {});
  return { code, out: io.out(), err: io.err() };
}

/**
 * The port options of a probe of 127.0.0.1: the ports given, and for every kind not given a port
 * nothing listens on, so nothing else on this machine answers the probe.
 */
export async function ports(o: { rfb?: readonly number[]; web?: number; ipmi?: number; timeout?: string }): Promise<string[]> {
  return [
    '--rfb-ports',
    (o.rfb ?? [await closedPort()]).join(','),
    '--web-port',
    String(o.web ?? (await closedPort())),
    '--ipmi-port',
    String(o.ipmi ?? (await closedPort())),
    '--timeout',
    o.timeout ?? '2s',
  ];
}

/** The same with --json, parsed. */
export async function probeJson(
  args: string[],
  o: { env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<{ code: number; report: ProbeReport & { yaml: string | null }; err: string }> {
  const r = await runProbeCli([...args, '--json'], o);
  return { code: r.code, report: JSON.parse(r.out) as ProbeReport & { yaml: string | null }, err: r.err };
}

/** Finds the finding of `probe` at `where`. */
export function findingAt(report: ProbeReport, where: string, probe?: string) {
  const f = report.findings.find((x) => x.where === where && (probe === undefined || x.probe === probe));
  if (!f) throw new Error(`no finding at ${where}${probe ? ` (${probe})` : ''}: ${report.findings.map((x) => `${x.probe}@${x.where}`).join(', ')}`);
  return f;
}

/**
 * What an operator does with the printed YAML: fills in every null (user and password here) and runs
 * `bmc-gateway check-config` on the file, which is loadConfigFile. Returns the validated config and the raw
 * server entry (for startTestGateway).
 */
export async function fillAndCheck(yamlText: string, fill: Record<string, string>): Promise<{ config: GatewayConfig; server: Record<string, unknown> }> {
  let text = yamlText;
  for (const [key, value] of Object.entries(fill)) text = text.replace(new RegExp(`(\\b${key}: )null\\b`, 'g'), `$1${JSON.stringify(value)}`);
  const dir = await mkdtemp(join(tmpdir(), 'bmcgw-probe-'));
  try {
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, text);
    const config = loadConfigFile(file);
    const server = (parse(text) as { servers: Record<string, unknown>[] }).servers[0]!;
    return { config, server };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Password files for `--password-file` (one secret line each, mode 0600, in one temp dir): `file()`
 * writes one and gives its path, `remove()` deletes them all.
 */
export function secretFiles(): { file(secret: string): Promise<string>; remove(): Promise<void> } {
  let dir: Promise<string> | undefined;
  let n = 0;
  return {
    async file(secret) {
      dir ??= mkdtemp(join(tmpdir(), 'bmcgw-probe-secret-'));
      const path = join(await dir, `pw${++n}`);
      await writeFile(path, `${secret}\n`, { mode: 0o600 });
      return path;
    },
    async remove() {
      if (dir) await rm(await dir, { recursive: true, force: true });
    },
  };
}

/**
 * A gateway serving `server` (an entry the probe printed, nulls filled in): opens its console the way
 * a panel does and hands the connected viewer to `check`.
 */
export async function openConsoleOf(server: Record<string, unknown>, check: (v: WsRfbClient) => Promise<void> | void): Promise<void> {
  const gw = await startTestGateway({ tokens: [{ token: TEST_TOKEN, servers: ['*'] }], servers: [server] });
  try {
    const { body } = await eqPhp(gw, { action: 'novnc', token: TEST_TOKEN, id: String(server['id']) });
    if (body.result !== 'OK') throw new Error(`the gateway did not open the console: ${JSON.stringify(body)}`);
    const v = new WsRfbClient((body.scope as string).replace(/^http/, 'ws').replace('/console/', '/ws/'));
    try {
      await v.ready();
      await check(v);
    } finally {
      v.close();
    }
  } finally {
    await gw.close();
  }
}

/** A TCP port that accepts connections and never says anything (also not to a TLS ClientHello). */
export async function silentPort(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that answers with `bytes` and closes (another protocol on the port). */
export async function talkingPort(bytes: string): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((s) => {
    s.on('error', () => {});
    s.end(bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

export { closedPort };
