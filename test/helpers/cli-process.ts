import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleGatewayProcess } from './amqp-gateways.js';
import { killHard, spawnTracked, terminate, type TrackedChild } from './child-processes.js';
import { freePort } from './ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `bmc-gateway` itself (src/cli.ts, bundled from the sources under test), for tests that need signals. */
export function bundleCli(): Promise<string> {
  return bundleGatewayProcess('src/cli.ts');
}

export interface CliGateway {
  url: string;
  port: number;
  configPath: string;
  proc: TrackedChild;
  /** stdout + stderr so far. */
  output(): string;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/**
 * `bmc-gateway serve --config FILE` as an OS process on a free loopback port; `config` is written as
 * JSON (which is YAML). Resolves once it logged "listening". `port` keeps a port across a restart;
 * `nodeArgs` go to Node before the entry (`--no-memory-reducer`, as `npm start` runs it).
 */
export async function startCliGateway(
  entry: string,
  config: Record<string, unknown>,
  o: { port?: number; scheme?: 'http' | 'https'; dir?: string; readyTimeoutMs?: number; nodeArgs?: string[]; env?: Record<string, string> } = {},
): Promise<CliGateway> {
  const port = o.port ?? (await freePort());
  const dir = o.dir ?? (await mkdtemp(join(tmpdir(), 'bmcgw-cli-')));
  const configPath = join(dir, `config-${port}.yaml`);
  const url = `${o.scheme ?? 'http'}://127.0.0.1:${port}`;
  await writeFile(
    configPath,
    JSON.stringify({ listen: `127.0.0.1:${port}`, publicUrl: url, log: { level: process.env.BMCGW_TEST_LOG ? 'debug' : 'info' }, ...config }),
  );
  const proc = spawnTracked(process.execPath, [...(o.nodeArgs ?? []), entry, 'serve', '--config', configPath], {
    cwd: ROOT,
    ...(o.env ? { env: { ...process.env, ...o.env } } : {}),
  });
  const deadline = Date.now() + (o.readyTimeoutMs ?? 30_000);
  while (!proc.output().includes('"event":"listening"')) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`bmc-gateway exited before listening:\n${proc.output()}`);
    if (Date.now() > deadline) {
      await killHard(proc);
      throw new Error(`bmc-gateway not listening within the time:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    configPath,
    proc,
    output: () => proc.output(),
    signal: (sig) => proc.child.kill(sig),
    stop: () => terminate(proc),
    kill: () => killHard(proc),
  };
}
