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

/** `bmc-gateway probe …` as src/cli.ts runs it, with its output captured. */
export async function runProbeCli(args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<{ code: number; out: string; err: string }> {
  const stdin = new PassThrough();
  stdin.end(o.stdin ?? '');
  const io = captureIo(stdin, 'utf8');
  const code = await probeCommand(args, io, o.env ?? {});
  return { code, out: io.out(), err: io.err() };
}

/** The same with --json, parsed. */
export async function probeJson(args: string[], o: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<{ code: number; report: ProbeReport & { yaml: string | null }; err: string }> {
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

/** A file holding one secret line (mode 0600), removed by the returned cleanup. */
export async function secretFile(secret: string): Promise<{ path: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bmcgw-probe-secret-'));
  const path = join(dir, 'pw');
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
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

export { closedPort } from '../../helpers/ports.js';
