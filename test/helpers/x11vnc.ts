import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnTracked, terminate, type TrackedChild } from './child-processes.js';
import { freePort } from './ports.js';
import { requirePeer } from './require-peer.js';

/**
 * x11vnc (libvncserver, a third RFB server codebase; it has the Zlib encoding TigerVNC lacks)
 * serving an existing X display, security None. With `anonTls`, in its ANONTLS mode: RFB security
 * type 18 (the anonymous TLS of vino and gtk-vnc; TigerVNC's server does not have it), then a second
 * security-type list inside TLS. x11vnc 0.9.16 predates OpenSSL 3 and asks for anonymous DH suites
 * without lowering OpenSSL's security level, so that process gets an OpenSSL configuration that
 * sets level 0 (OPENSSL_CONF); nothing else on the machine is affected.
 */
export interface X11vncServer {
  port: number;
  stop(): Promise<void>;
}

const OPENSSL_CONF = `openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
CipherString = ALL:@SECLEVEL=0
`;

export async function startX11vnc(display: number, opts: { anonTls?: { key: string; cert: string } } = {}): Promise<X11vncServer> {
  const x11vnc = requirePeer('x11vnc', 'x11vnc');
  const dir = await mkdtemp(join(tmpdir(), 'bmcgw-x11vnc-'));
  const port = await freePort();
  // -nopw: security None (inside TLS with anonTls).
  const args = ['-display', `:${display}`, '-rfbport', String(port), '-localhost', '-nopw', '-forever', '-shared'];
  let env: NodeJS.ProcessEnv | undefined;
  if (opts.anonTls) {
    await writeFile(join(dir, 'server.pem'), opts.anonTls.key + opts.anonTls.cert, { mode: 0o600 });
    await writeFile(join(dir, 'openssl.cnf'), OPENSSL_CONF);
    // -anontls only: type 18 alone (no VeNCrypt, no plain SSL).
    args.push('-ssl', join(dir, 'server.pem'), '-anontls', 'only');
    env = { ...process.env, OPENSSL_CONF: join(dir, 'openssl.cnf') };
  }
  const child: TrackedChild = spawnTracked(x11vnc, args, env ? { env } : {});
  const stop = async (): Promise<void> => {
    await terminate(child);
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`x11vnc did not listen on ${port}:\n${child.output()}`);
    }
    await sleep(200);
  }
  return { port, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
