import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/log.js';
import { CrashJournal } from '../../../../src/session/crash-journal.js';

const log = createLogger('silent');
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'bmcgw-journal-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('crash journal', () => {
  it('what a killed run held is returned at the next start, with code crash; what ended cleanly is not', () => {
    const dir = fresh();
    const a = new CrashJournal(dir, log);
    expect(a.recover()).toEqual([]);
    a.opened('s1', 'console', 'srv1', ['http://panel/close?a=1']);
    a.closeUrlAdded('s1', 'http://panel2/close');
    a.opened('s2', 'sol', 'srv2', ['http://panel/sol-close']);
    a.opened('s3', 'console', 'srv3', []);
    a.opened('s4', 'console', 'srv4', ['http://panel/c4']);
    a.ended('s4', 'idle', 'no viewer for 5 min');
    a.settled('s4', 'http://panel/c4');
    // s2 ended but its close URL call never finished: it goes again with its own code.
    a.ended('s2', 'api', 'ended by the API (ops)');
    // no close(): the process "dies" here
    const b = new CrashJournal(dir, log);
    const pending = b.recover();
    expect(pending.map((p) => `${p.id} ${p.kind} ${p.url} ${p.code}`).sort()).toEqual([
      's1 console http://panel/close?a=1 crash',
      's1 console http://panel2/close crash',
      's2 sol http://panel/sol-close api',
    ]);
    // Until each call settles, another crash would send them again.
    b.settled('s1', 'http://panel/close?a=1');
    const c = new CrashJournal(dir, log);
    expect(
      c
        .recover()
        .map((p) => `${p.id} ${p.url}`)
        .sort(),
    ).toEqual(['s1 http://panel2/close', 's2 http://panel/sol-close']);
  });

  it('a torn last line (killed mid-write) and garbage lines are skipped', () => {
    const dir = fresh();
    const a = new CrashJournal(dir, log);
    a.recover();
    a.opened('s1', 'console', 'srv1', ['http://panel/close']);
    appendFileSync(a.path, 'not json\n{"t":"open","id":"s2","kind":"console","server":"x","urls":["http://p');
    expect(new CrashJournal(dir, log).recover().map((p) => p.id)).toEqual(['s1']);
  });

  it('stays bounded: rewritten with only what is live', () => {
    const dir = fresh();
    const j = new CrashJournal(dir, log);
    j.recover();
    j.opened('keep', 'console', 'srv', ['http://panel/keep']);
    for (let i = 0; i < 1200; i++) {
      j.opened(`s${i}`, 'console', 'srv', [`http://panel/${i}`]);
      j.ended(`s${i}`, 'idle', 'idle');
      j.settled(`s${i}`, `http://panel/${i}`);
    }
    expect(j.size).toBe(1);
    expect(statSync(j.path).size).toBeLessThan(400 * 1024);
    expect(readFileSync(j.path, 'utf8').split('\n').filter(Boolean).length).toBeLessThan(1100);
    expect(new CrashJournal(dir, log).recover().map((p) => p.id)).toEqual(['keep']);
  });
});
