import { describe, expect, it } from 'vitest';
import { demoShell } from '../../../../src/demo/demo-shell.js';

function shell(chassis: { power: boolean; lastControl: number | null; bootFlags: string | null } = { power: true, lastControl: null, bootFlags: null }) {
  const out: Buffer[] = [];
  const s = demoShell({ hostname: 'demo', power: () => chassis.power, lastControl: () => chassis.lastControl, bootFlags: () => chassis.bootFlags }, (b) =>
    out.push(b),
  );
  return { s, text: () => Buffer.concat(out).toString('utf8'), chassis };
}

describe('demo serial console shell', () => {
  it('greets with a prompt and echoes what is typed, running the line on Enter', () => {
    const { s, text } = shell();
    expect(text()).toContain('root@demo:~# ');
    s.input(Buffer.from('echo  hi there\r'));
    expect(text()).toMatch(/root@demo:~# echo {2}hi there\r\nhi there\r\nroot@demo:~# $/);
  });

  it('treats CR LF as one Enter, handles backspace and ^C, drops other control bytes', () => {
    const { s, text } = shell();
    s.input(Buffer.from('ecx\x7fho a\x1b[A\r\n'));
    expect(text()).toContain('ecx\b \bho a[A\r\na[A\r\nroot@demo:~# ');
    expect(text().match(/root@demo:~# /g)).toHaveLength(2);
    s.input(Buffer.from('junk\x03'));
    expect(text()).toMatch(/junk\^C\r\nroot@demo:~# $/);
  });

  it('tells the simulated chassis state as the IPMI client left it', () => {
    const { s, text, chassis } = shell();
    s.input(Buffer.from('power\r'));
    expect(text()).toContain('chassis power is on; last chassis control through IPMI: none yet');
    Object.assign(chassis, { power: false, lastControl: 5, bootFlags: '0580040000' });
    s.input(Buffer.from('power\rbootdev\r'));
    expect(text()).toContain('chassis power is off; last chassis control through IPMI: soft shutdown');
    expect(text()).toContain('boot flags set through IPMI: 0580040000');
  });

  it('answers unknown commands without running anything, bounds the line, and is silent once closed', () => {
    const { s, text } = shell();
    s.input(Buffer.from('rm -rf /\r'));
    expect(text()).toContain('rm: command not found (try "help")');
    s.input(Buffer.alloc(500, 0x61));
    expect(text().match(/a+/g)!.at(-1)!.length).toBe(200);
    s.close();
    const before = text();
    s.input(Buffer.from('\r'));
    expect(text()).toBe(before);
  });
});
