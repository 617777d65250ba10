import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * STYLE habit 1: everything under protocols/ is pure — bytes in, messages out. It may import only
 * its own modules and computation-only libraries (hashes, ciphers, zlib, DES, jpeg-js's JPEG decoder);
 * no sockets, HTTP,
 * WebSocket, files, processes, timers, logging or console.
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../protocols');
const ALLOWED = new Set(['node:crypto', 'node:zlib', 'node-forge', 'jpeg-js']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : f.endsWith('.ts') ? [p] : [];
  });
}

describe('protocols/ purity', () => {
  const files = tsFiles(ROOT);

  it('finds every codec family', () => {
    const dirs = new Set(files.map((f) => relative(ROOT, f).split('/')[0]));
    for (const d of ['rfb', 'aten', 'ipmi', 'fbs', 'pcap']) expect(dirs).toContain(d);
  });

  for (const f of files) {
    it(`${relative(ROOT, f)} imports nothing with I/O and calls no timer or console`, () => {
      const code = readFileSync(f, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(
        /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (!spec.startsWith('.')) expect(ALLOWED.has(spec), `imports ${spec}`).toBe(true);
      }
      expect(code).not.toMatch(/\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/);
      expect(code).not.toMatch(/\bconsole\.[a-z]+\s*\(/);
      expect(code).not.toMatch(/\bprocess\.(stdout|stderr|env|exit|on)\b/);
    });
  }
});
