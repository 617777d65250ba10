import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tarChunks } from '../../../../src/util/tar.js';

describe('tar writer (session files into a container over stdin)', () => {
  it('makes an archive GNU tar unpacks: folders, modes, contents of any size', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcgw-tar-'));
    try {
      const data = Buffer.alloc(1500, 7);
      const archive = Buffer.concat(
        tarChunks([
          { name: 'jars/', mode: 0o700 },
          { name: 'jars/a.jar', mode: 0o600, data },
          { name: 'empty', mode: 0o644, data: Buffer.alloc(0) },
          { name: 'x', mode: 0o600, data: Buffer.from('512 bytes exactly'.padEnd(512, '.')) },
        ]),
      );
      expect(archive.length % 512).toBe(0);
      writeFileSync(join(dir, 'a.tar'), archive);
      execFileSync('tar', ['-x', '-f', 'a.tar', '--no-same-owner'], { cwd: dir });
      expect(readFileSync(join(dir, 'jars/a.jar')).equals(data)).toBe(true);
      expect(statSync(join(dir, 'jars/a.jar')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'jars')).isDirectory()).toBe(true);
      expect(readFileSync(join(dir, 'empty')).length).toBe(0);
      expect(readFileSync(join(dir, 'x'), 'utf8')).toHaveLength(512);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses names it cannot write safely', () => {
    expect(() => tarChunks([{ name: '/etc/passwd', mode: 0o600 }])).toThrow(/assert/);
    expect(() => tarChunks([{ name: 'a/../../b', mode: 0o600 }])).toThrow(/assert/);
    expect(() => tarChunks([{ name: 'n'.repeat(101), mode: 0o600 }])).toThrow(/assert/);
  });
});
