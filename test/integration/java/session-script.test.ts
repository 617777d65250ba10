import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { xauthority } from '../../../src/sources/jnlp/launch-files.js';
import { spawnTracked, type TrackedChild } from '../../helpers/child-processes.js';
import { requirePeer } from '../../helpers/require-peer.js';

const run = promisify(execFile);
const SCRIPT = resolve('containers/java-viewer/session.sh');

// A stand-in viewer that never touches X: it waits for a file, then exits with code 7. Launched in
// Java's source-file mode straight from the argfile session.sh hands to `java`.
const HOLD_JAVA = `
public class Hold {
  public static void main(String[] a) throws Exception {
    java.nio.file.Path go = java.nio.file.Path.of(a[0]);
    while (!java.nio.file.Files.exists(go)) Thread.sleep(50);
    System.exit(7);
  }
}
`;

describe('containers/java-viewer/session.sh (run directly, as the process runtime runs it)', () => {
  let dir: string | undefined;
  let script: TrackedChild | undefined;
  afterEach(async () => {
    script?.child.kill('SIGKILL'); // its Xvfb and java die with it (PR_SET_PDEATHSIG)
    await script?.exited;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = script = undefined;
  });

  it("keeps the X server as it is while it waits for the viewer's window (Xvfb -noreset: a reset refuses clients that connect meanwhile)", async () => {
    for (const [bin, pkg] of [
      ['java', 'openjdk-17-jre-headless'],
      ['Xvfb', 'xvfb'],
      ['xwininfo', 'x11-utils'],
      ['xprop', 'x11-utils'],
    ] as const)
      requirePeer(bin, pkg);
    dir = await mkdtemp(join(tmpdir(), 'bmcgw-session-sh-'));
    const go = join(dir, 'go');
    await writeFile(join(dir, 'Hold.java'), HOLD_JAVA);
    await writeFile(join(dir, 'viewer.args'), `${join(dir, 'Hold.java')} ${go}\n`);
    await writeFile(join(dir, 'vncpasswd'), 'unused\n', { mode: 0o600 });
    await writeFile(join(dir, 'Xauthority'), xauthority(randomBytes(16)), { mode: 0o600 });

    script = spawnTracked('/bin/sh', [SCRIPT, '--dir', dir, '--screen', '800x600x24']);
    const started = script;
    const display = await new Promise<string>((ok, fail) => {
      let text = '';
      const timer = setTimeout(() => fail(new Error(`no display line within 30 s: ${started.output()}`)), 30_000);
      started.child.stdout!.on('data', (c: Buffer) => {
        text += c.toString('utf8');
        const m = /^bmcgw-java: display (:\d+)$/m.exec(text);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
    });
    const env = { ...process.env, DISPLAY: display, XAUTHORITY: join(dir, 'Xauthority') };

    // xprop connects, sets a property on the root window and disconnects. A server that resets when
    // its last client leaves (as Xvfb does by default) recreates the root window, and the property
    // is gone by the next of session.sh's xwininfo polls (every 0.2 s); one that does not keeps it.
    await run('xprop', ['-root', '-f', '_BMCGW_MARK', '8s', '-set', '_BMCGW_MARK', 'kept'], { env });
    await new Promise((r) => setTimeout(r, 1500));
    const { stdout } = await run('xprop', ['-root', '_BMCGW_MARK'], { env });
    expect(stdout).toContain('"kept"');
    expect(script.output()).not.toMatch(/bmcgw-java: exit/); // the stand-in viewer was still waiting all along

    await writeFile(go, '');
    const end = await script.exited;
    expect(end.code, script.output()).toBe(7);
    expect(script.output()).toContain('bmcgw-java: exit code=7');
  });
});
