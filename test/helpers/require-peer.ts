import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/**
 * Real-peer tests must FAIL, never skip, when the peer is missing: a skipped integration test looks
 * green in CI and hides that the evidence is gone. These helpers turn "program not installed" into an
 * Error that names the Debian package to install, so the failure says how to fix itself.
 */

/** Directories searched after $PATH: daemons such as Xvnc live in sbin-less PATHs on some hosts. */
const EXTRA_DIRS = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Returns the absolute path of an executable, or undefined. `binary` may itself be absolute. */
export function findExecutable(binary: string): string | undefined {
  if (isAbsolute(binary)) return isExecutable(binary) ? binary : undefined;
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== ''), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, binary);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Returns the absolute path of `binary`; throws when it is not installed, naming `debianPackage`.
 * Call it at the start of a helper so a missing peer fails the test before any process is spawned.
 */
export function requirePeer(binary: string, debianPackage: string): string {
  const found = findExecutable(binary);
  if (found === undefined) throw missingPeerError(binary, debianPackage);
  return found;
}

/** The Error thrown for a missing program or file that a Debian package provides. */
export function missingPeerError(what: string, debianPackage: string): Error {
  return new Error(
    `real-peer test needs ${what}, which is not installed: ` +
      `apt-get install -y --no-install-recommends ${debianPackage}`,
  );
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
