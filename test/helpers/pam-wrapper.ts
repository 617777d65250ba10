import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { missingPeerError } from './require-peer.js';

const LIB = '/usr/lib/x86_64-linux-gnu/libpam_wrapper.so';
const PAM_MATRIX = '/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so';

/**
 * PAM for a test server without touching /etc/pam.d: cwrap's pam_wrapper (LD_PRELOAD) reads the
 * service file from a directory of ours, and its pam_matrix module checks passwords against a
 * `user:password:service` file. This is how Xvnc's Plain security types (TLSPlain, X509Plain,
 * which validate through PAM service "vnc") get a user to check in the tests.
 *
 * Writes the files into `dir` and returns the environment to start the server with.
 */
export async function pamWrapperEnv(dir: string, service: string, users: Record<string, string>): Promise<NodeJS.ProcessEnv> {
  if (!existsSync(LIB) || !existsSync(PAM_MATRIX)) throw missingPeerError('pam_wrapper and pam_matrix', 'libpam-wrapper');
  const passdb = join(dir, 'pam-passdb');
  await writeFile(
    passdb,
    Object.entries(users)
      .map(([u, p]) => `${u}:${p}:${service}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const services = join(dir, 'pam.d');
  await mkdir(services, { recursive: true });
  await writeFile(join(services, service), `auth required ${PAM_MATRIX} passdb=${passdb}\naccount required ${PAM_MATRIX} passdb=${passdb}\n`);
  return { ...process.env, LD_PRELOAD: LIB, PAM_WRAPPER: '1', PAM_WRAPPER_SERVICE_DIR: services };
}
