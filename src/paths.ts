import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest folder above this file holding package.json. The same code runs
 * compiled (dist/src/…) and from source under vitest (src/…), so paths are found, not assumed.
 */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('assert: cannot find the bmc-gateway package root (package.json beside web/)');
}

export const PROJECT_ROOT = findRoot();
export const WEB_DIR = join(PROJECT_ROOT, 'web');
/** The @novnc/novnc package folder (its exports map only names core/rfb.js, so resolve that). */
export const NOVNC_DIR = dirname(dirname(fileURLToPath(import.meta.resolve('@novnc/novnc'))));
