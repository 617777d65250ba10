import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requirePeer } from '../../helpers/require-peer.js';

// contrib/bmc-gateway.service: systemd's own checker accepts it, its offline security review rates
// it well, and the hardening the README promises is in it.

const UNIT = fileURLToPath(new URL('../../../contrib/bmc-gateway.service', import.meta.url));
const run = promisify(execFile);

describe('contrib/bmc-gateway.service', () => {
  it('passes systemd-analyze verify without a warning', async () => {
    const analyze = requirePeer('systemd-analyze', 'systemd');
    const { stdout, stderr } = await run(analyze, ['verify', UNIT], { timeout: 30_000 });
    expect(`${stdout}${stderr}`.trim()).toBe('');
  }, 40_000);

  it('is rated "OK" or better by systemd-analyze security --offline', async () => {
    const analyze = requirePeer('systemd-analyze', 'systemd');
    const { stdout } = await run(analyze, ['security', '--offline=yes', '--no-pager', UNIT], { timeout: 30_000 });
    const level = /Overall exposure level for bmc-gateway\.service: ([0-9.]+) (\S+)/.exec(stdout);
    expect(level, stdout.slice(-500)).not.toBeNull();
    expect(Number(level![1])).toBeLessThanOrEqual(2.5);
  }, 40_000);

  it('carries the promised hardening, the state and log directories, and reload by SIGHUP', () => {
    const text = readFileSync(UNIT, 'utf8');
    const directives = new Map<string, string[]>();
    for (const line of text.split('\n')) {
      const m = /^([A-Za-z]+)=(.*)$/.exec(line);
      if (m) directives.set(m[1]!, [...(directives.get(m[1]!) ?? []), m[2]!]);
    }
    const one = (k: string) => directives.get(k)?.[0];
    expect(one('DynamicUser')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('StateDirectory')).toBe('bmc-gateway');
    expect(one('LogsDirectory')).toBe('bmc-gateway');
    for (const k of ['NoNewPrivileges', 'PrivateTmp', 'ProtectHome']) expect(one(k), k).toBe('yes');
    expect(one('RestrictAddressFamilies')).toBe('AF_INET AF_INET6 AF_UNIX');
    expect(directives.get('CapabilityBoundingSet')).toEqual(['']);
    expect(one('SystemCallFilter')).toBe('@system-service');
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('ExecStart')).toMatch(/cli\.js serve --config \/etc\/bmc-gateway\/gateway\.yaml$/);
  });
});
