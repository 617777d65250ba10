import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDemoServer } from '../sources/demo/demo-server.js';
import { demoShell } from './demo-shell.js';
import { startIpmiResponder, type IpmiResponder, type SerialConsole } from './ipmi-bmc.js';

export const DEMO_TOKEN = 'demo-token';
export const DEMO_SERVER_ID = 'demo';

/** The demo's peers on loopback and the configuration (as the YAML would read) that points the gateway at them. */
export interface Demo {
  /** The config document, validated by the same code as a file's. */
  readonly raw: Record<string, unknown>;
  /** A fresh operator token for the dashboard, different at every start. */
  readonly operatorToken: string;
  /** Where the demo console's recordings go (a temporary directory, removed at close); undefined when none could be made. */
  readonly recordingDir: string | undefined;
  /** Why the demo records nothing (no writable temporary directory, e.g. a read-only container), else undefined. */
  readonly recordingOff: string | undefined;
  close(): Promise<void>;
}

/**
 * What `bmc-gateway serve` runs without a config: our RFB demo server (src/sources/demo) and a
 * simulated IPMI BMC (./ipmi-bmc.ts: power, boot device, a shell-like serial console), each a peer on
 * a loopback port, plus the configuration naming them. The gateway reaches them as it reaches any
 * BMC — the real RFB client and the real IPMI client over sockets — so nothing here is on the real
 * code paths; this folder is only imported by src/main.ts when there is no config file.
 */
export async function startDemo(opts: { listen: string }): Promise<Demo> {
  const ipmiUser = 'demo';
  const ipmiPassword = randomBytes(12).toString('base64url');
  let chassis: IpmiResponder['state'] | undefined; // set once the BMC runs; SOL can only open after that
  const serial = (write: (bytes: Buffer) => void): SerialConsole =>
    demoShell(
      { hostname: 'demo', power: () => chassis?.power ?? false, lastControl: () => chassis?.lastControl ?? null, bootFlags: () => chassis?.bootFlags ?? null },
      write,
    );
  const [rfb, bmc] = await Promise.all([
    startDemoServer({ host: '127.0.0.1', port: 0 }),
    startIpmiResponder({
      user: ipmiUser,
      password: ipmiPassword,
      suites: [17, 3],
      serial,
    }),
  ]);
  chassis = bmc.state;
  bmc.state.power = true; // the demo host is running when the gateway starts
  // Recording is a nicety of the demo: a read-only root (the container image run with --read-only)
  // leaves it off, with the reason printed, rather than stopping the demo.
  let recordingDir: string | undefined;
  let recordingOff: string | undefined;
  try {
    recordingDir = mkdtempSync(join(tmpdir(), 'bmc-gateway-demo-recordings-'));
  } catch (err) {
    recordingOff = `no recording: cannot create a directory in ${tmpdir()} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  const operatorToken = randomBytes(18).toString('base64url');
  const raw = {
    listen: opts.listen,
    tokens: [{ token: DEMO_TOKEN, name: 'demo', servers: [DEMO_SERVER_ID] }],
    operators: [{ token: operatorToken, name: 'demo operator' }],
    servers: [
      {
        id: DEMO_SERVER_ID,
        name: 'Demo console',
        location: 'LOCAL',
        console: { type: 'vnc', host: rfb.host, port: rfb.port, password: rfb.password },
        ipmi: { host: bmc.host, port: bmc.port, user: ipmiUser, password: ipmiPassword, cipherSuite: 17 },
      },
    ],
    ...(recordingDir ? { recording: { dir: recordingDir, servers: [DEMO_SERVER_ID] } } : {}),
  };
  return {
    raw,
    operatorToken,
    recordingDir,
    recordingOff,
    async close() {
      await Promise.all([rfb.close(), bmc.stop()]);
      if (recordingDir) rmSync(recordingDir, { recursive: true, force: true });
    },
  };
}
