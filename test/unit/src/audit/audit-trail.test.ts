import { mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditTrail, outcomeOf, serviceAuditHook } from '../../../../src/audit/audit-trail.js';
import { createLogger } from '../../../../src/log.js';

describe('audit trail', () => {
  it('one JSON line per record, secrets in detail dropped; reopen after rotation starts a fresh file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bmcgw-audit-'));
    try {
      const file = join(dir, 'audit.jsonl');
      const trail = new AuditTrail({ file, log: createLogger('silent') });
      trail.record({
        action: 'console.open',
        who: 'panel',
        kind: 'token',
        outcome: 'ok',
        server: 's1',
        session: 'abc',
        from: '192.0.2.7',
        detail: { viewOnly: false, password: 'hunter2', pinCode: '1234' },
      });
      serviceAuditHook(trail, { who: 'cli:root', kind: 'cli', server: 's2' })({
        type: 'ipmi.power',
        actor: undefined,
        detail: 'cycle',
        outcome: 'error',
        error: { code: 'IPMI_ERR_BAD_PASSWORD', message: 'wrong password' },
      });
      await trail.reopen();
      renameSync(file, `${file}.1`);
      await trail.reopen();
      trail.record({ action: 'auth.failed', who: 'unknown', kind: 'token', outcome: 'refused', code: 'GW_ERR_BAD_TOKEN', from: '192.0.2.8' });
      await trail.close();
      const old = readFileSync(`${file}.1`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(old).toEqual([
        {
          at: expect.any(String),
          action: 'console.open',
          who: 'panel',
          kind: 'token',
          outcome: 'ok',
          server: 's1',
          session: 'abc',
          from: '192.0.2.7',
          detail: { viewOnly: false },
        },
        {
          at: expect.any(String),
          action: 'ipmi.power',
          who: 'cli:root',
          kind: 'cli',
          outcome: 'error',
          server: 's2',
          code: 'IPMI_ERR_BAD_PASSWORD',
          message: 'wrong password',
          detail: { detail: 'cycle' },
        },
      ]);
      expect(readFileSync(`${file}.1`, 'utf8')).not.toContain('hunter2');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ action: 'auth.failed', outcome: 'refused', from: '192.0.2.8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refusals and errors are told apart by code', () => {
    expect([
      outcomeOf(undefined),
      outcomeOf('GW_ERR_BAD_PIN'),
      outcomeOf('GW_ERR_RATE_LIMITED'),
      outcomeOf('IPMI_ERR_BAD_PASSWORD'),
      outcomeOf('GW_ERR_BMC_TIMEOUT'),
    ]).toEqual(['ok', 'refused', 'refused', 'error', 'error']);
  });
});
