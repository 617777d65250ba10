import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Directories searched after $PATH: daemons such as Xvnc and Xvfb live in sbin-less PATHs on some hosts. */
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

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
