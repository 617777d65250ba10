/**
 * Real-peer tests must FAIL, never skip, when the peer is missing: a skipped integration test looks
 * green in CI and hides that the evidence is gone. These helpers turn "program not installed" into an
 * Error that names the Debian package to install, so the failure says how to fix itself.
 */

import { findExecutable } from '../../src/util/executables.js';

export { findExecutable };

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
  return new Error(`real-peer test needs ${what}, which is not installed: ` + `apt-get install -y --no-install-recommends ${debianPackage}`);
}
