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
/** The built browser pages and their assets (web/build.ts writes them; `npm run build`). */
export const PUBLIC_DIR = join(PROJECT_ROOT, 'dist', 'public');
