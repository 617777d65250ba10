import { describe, expect, it } from 'vitest';
import { DockerStreamDemux } from '../../../../../src/sources/jnlp/docker-api.js';
import { describeExit, parseScriptLine, SessionScriptOutput, type ScriptEvent } from '../../../../../src/sources/jnlp/sandbox.js';

describe("session.sh's status lines", () => {
  it('parses each kind and ignores anything else', () => {
    expect(parseScriptLine('bmcgw-java: display :3')).toEqual({ type: 'display', display: ':3' });
    expect(parseScriptLine('bmcgw-java: window 0x200007 640x480')).toEqual({ type: 'window', window: '0x200007', width: 640, height: 480 });
    expect(parseScriptLine('bmcgw-java: ready port=23001')).toEqual({ type: 'ready', port: 23001 });
    expect(parseScriptLine('bmcgw-java: error Xvfb did not start: oops')).toEqual({ type: 'error', message: 'Xvfb did not start: oops' });
    expect(parseScriptLine('bmcgw-java: exit code=134')).toEqual({ type: 'exit', code: 134 });
    for (const l of [
      'hello',
      'bmcgw-java: ready port=abc',
      'bmcgw-java: exit code=',
      'bmcgw-java: window 0x1 big',
      'bmcgw-java: bogus x',
      'xbmcgw-java: ready port=1',
    ]) {
      expect(parseScriptLine(l), l).toBeUndefined();
    }
  });

  it('gives the same events however the output is split', () => {
    const text = 'noise\nbmcgw-java: display :1\nbmcgw-java: window 0xa 10x20\nbmcgw-java: ready port=5\n';
    const whole: ScriptEvent[] = [];
    new SessionScriptOutput((e) => whole.push(e)).stdout(Buffer.from(text));
    expect(whole.map((e) => e.type)).toEqual(['display', 'window', 'ready']);
    for (let cut = 1; cut < text.length; cut++) {
      const got: ScriptEvent[] = [];
      const o = new SessionScriptOutput((e) => got.push(e));
      o.stdout(Buffer.from(text.slice(0, cut)));
      o.stdout(Buffer.from(text.slice(cut)));
      expect(got, `split at ${cut}`).toEqual(whole);
    }
  });

  it("keeps only the last few KiB of the viewer's own output", () => {
    const o = new SessionScriptOutput(() => {});
    for (let i = 0; i < 1000; i++) o.stderr(Buffer.from(`line ${i}\n`));
    expect(o.tail().length).toBeLessThanOrEqual(SessionScriptOutput.TAIL_CHARS);
    expect(o.tail().endsWith('line 999\n')).toBe(true);
  });

  it('describes exit codes as a shell reports them', () => {
    expect(describeExit(0)).toBe('exited with code 0');
    expect(describeExit(3)).toBe('exited with code 3');
    expect(describeExit(134)).toBe('was killed by SIGABRT (exit code 134)');
    expect(describeExit(137)).toBe('was killed by SIGKILL (exit code 137)');
    expect(describeExit(undefined)).toBe('ended');
  });
});

describe('Docker attach stream (no TTY)', () => {
  const frame = (type: number, text: string) => {
    const p = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32BE(p.length, 4);
    return Buffer.concat([h, p]);
  };

  it('splits stdout and stderr frames, whatever the chunking', () => {
    const bytes = Buffer.concat([frame(1, 'out one\n'), frame(2, 'err\n'), frame(0, 'stdin echo'), frame(1, ''), frame(1, 'out two\n')]);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got: string[] = [];
      const d = new DockerStreamDemux((s, p) => got.push(`${s}:${p.toString()}`));
      d.push(bytes.subarray(0, cut));
      d.push(bytes.subarray(cut));
      expect(got, `split at ${cut}`).toEqual(['stdout:out one\n', 'stderr:err\n', 'stdout:', 'stdout:out two\n']);
    }
    const got: string[] = [];
    const d = new DockerStreamDemux((s, p) => got.push(`${s}:${p.toString()}`));
    for (const b of bytes) d.push(Buffer.from([b]));
    expect(got).toHaveLength(4);
  });
});
