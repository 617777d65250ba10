import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { killHard, spawnTracked, terminate, type TrackedChild } from './child-processes.js';
import { freePort } from './ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Under node_modules so the bundle's bare imports (fastify, amqplib …) resolve from the project. */
const BUNDLE_DIR = join(ROOT, 'node_modules', '.cache', 'bmcgw-dispatch-test');

/**
 * Bundles test/helpers/amqp-gateway-process.ts (or `entry`, e.g. src/cli.ts) with rolldown (vite's
 * bundler, already installed for vitest) into one .mjs file that plain `node` runs: the gateway
 * processes of these tests are real OS processes (SIGKILL and SIGHUP must be real), built from the
 * sources under test without `npm run build`.
 */
export async function bundleGatewayProcess(entry = 'test/helpers/amqp-gateway-process.ts'): Promise<string> {
  const { build } = await import('rolldown');
  await mkdir(BUNDLE_DIR, { recursive: true });
  const file = join(BUNDLE_DIR, `${entry.replace(/\W+/g, '-')}-${process.pid}.mjs`);
  await build({
    input: join(ROOT, entry),
    platform: 'node',
    external: (id: string) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0'),
    output: { file, format: 'esm' },
    logLevel: 'warn',
  });
  return file;
}

export interface GatewayProcess {
  name: string;
  url: string;
  pid: number;
  proc: TrackedChild;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** Starts one gateway process from a config object (written as JSON, which is YAML) on a free port. */
export async function spawnGatewayProcess(
  entry: string,
  name: string,
  config: Record<string, unknown>,
  journal: string,
  readyTimeoutMs = 20_000,
): Promise<GatewayProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), `bmcgw-${name}-`));
  const configPath = join(dir, 'config.yaml');
  const url = `http://127.0.0.1:${port}`;
  await writeFile(
    configPath,
    JSON.stringify({ listen: `127.0.0.1:${port}`, publicUrl: url, log: { level: process.env.BMCGW_TEST_LOG ? 'debug' : 'warn' }, ...config }),
  );
  const proc = spawnTracked(process.execPath, [entry, configPath, journal], { cwd: ROOT });
  const deadline = Date.now() + readyTimeoutMs;
  while (!/READY \d+/.test(proc.output())) {
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`${name} exited before READY:\n${proc.output()}`);
    if (Date.now() > deadline) {
      await killHard(proc);
      throw new Error(`${name} not READY within ${readyTimeoutMs} ms:\n${proc.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(/READY (\d+)/.exec(proc.output())![1]);
  return { name, url, pid, proc, stop: () => terminate(proc), kill: () => killHard(proc) };
}
