import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { missingPeerError, requirePeer } from '../require-peer.js';
import { SIM_ADMIN } from './simulator.js';

/**
 * Debian's Redfish clients, run against a simulator on 127.0.0.1: DMTF's redfishtool, OpenStack's
 * python3-sushy (through sushy-drive.py, with Debian's /usr/bin/python3: pyenv's python3 lacks it)
 * and fence_redfish from fence-agents. Each must read and drive the simulator before the gateway is
 * tested against it. They run with TLS verification off (each tool's own flag); requests, which all
 * three use, would otherwise prefer $REQUESTS_CA_BUNDLE over a client's verify=False, so that
 * variable is removed from their environment.
 */

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

const SUSHY_DRIVE = fileURLToPath(new URL('./sushy-drive.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

function env(): NodeJS.ProcessEnv {
  const e = { ...process.env };
  delete e.REQUESTS_CA_BUNDLE;
  delete e.CURL_CA_BUNDLE;
  return e;
}

function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: env(), timeout: timeoutMs, maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${file} is not installed`));
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, out: stdout, err: stderr });
    });
  });
}

/** `redfishtool -r 127.0.0.1:PORT -u USER -p PASSWORD -S Always ARGS…`. */
export function redfishtool(port: number, args: readonly string[], user: { name: string; password: string } = SIM_ADMIN): Promise<RunResult> {
  const bin = requirePeer('redfishtool', 'redfishtool');
  return run(bin, ['-r', `127.0.0.1:${port}`, '-u', user.name, '-p', user.password, '-S', 'Always', '-T', '20', ...args]);
}

/** sushy-drive.py: STEPs `read`, `reset:<ResetType>`, `boot:<Target>:<Enabled>`, `insert:<url>`, `eject`, `logout`. */
export async function sushyDrive(
  port: number,
  auth: 'session' | 'basic' | 'auto',
  steps: readonly string[],
  user: { name: string; password: string } = SIM_ADMIN,
): Promise<{ steps: Record<string, any>[] }> {
  const check = await run(requirePeer(PYTHON, 'python3'), ['-c', 'import sushy']);
  if (check.code !== 0) throw missingPeerError('the python3 module sushy for /usr/bin/python3', 'python3-sushy');
  const r = await run(PYTHON, [SUSHY_DRIVE, `https://127.0.0.1:${port}`, user.name, user.password, auth, ...steps]);
  if (r.code !== 0) throw new Error(`sushy-drive failed (${r.code}):\n${r.err.slice(-3000)}`);
  return JSON.parse(r.out.trim().split('\n').pop()!) as { steps: Record<string, any>[] };
}

/** `fence_redfish --ip 127.0.0.1 --ipport PORT … --ssl-insecure --action ACTION`. */
export function fenceRedfish(
  port: number,
  action: string,
  extra: readonly string[] = [],
  user: { name: string; password: string } = SIM_ADMIN,
): Promise<RunResult> {
  const bin = requirePeer('fence_redfish', 'fence-agents');
  return run(bin, [
    '--ip=127.0.0.1',
    `--ipport=${port}`,
    `--username=${user.name}`,
    `--password=${user.password}`,
    '--ssl-insecure',
    `--action=${action}`,
    ...extra,
  ]);
}
