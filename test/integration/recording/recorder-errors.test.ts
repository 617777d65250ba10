import { describe, expect, it } from 'vitest';
import { Framebuffer } from '../../../protocols/rfb/framebuffer.js';
import { createLogger } from '../../../src/log.js';
import { AppendFile } from '../../../src/recording/append-file.js';
import { Recorder } from '../../../src/recording/recorder.js';
import type { Session } from '../../../src/session/session.js';

/** Just what a Recorder uses of its Session, and a record of what it did to it. */
function fakeSession(): Session & { detached: number; ended: number } {
  const fb = new Framebuffer(64, 48);
  fb.fillRect(0, 0, 64, 48, 10, 20, 30);
  const s = {
    id: 'sess',
    server: { id: 'srv' },
    name: 'fake',
    fb,
    hasPicture: true,
    detached: 0,
    ended: 0,
    detach() {
      s.detached++;
    },
    end() {
      s.ended++;
    },
  };
  return s as unknown as Session & { detached: number; ended: number };
}

describe('Recorder write errors', () => {
  it('a full disk (ENOSPC on /dev/full) stops the recording with one logged error; the session is untouched', async () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => lines.push(l) } as never);
    const session = fakeSession();
    const rec = new Recorder({ session, dir: '/unused', log, openFile: (_path, onError) => new AppendFile('/dev/full', { onError, flags: 'w' }) });
    rec.damage.reset(64, 48);
    rec.damage.addAll();
    expect(() => rec.frame()).not.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(rec.stopped).toBe(true);
    expect(session.detached).toBe(1);
    expect(session.ended).toBe(0);
    // Later events are ignored quietly.
    expect(() => rec.frame()).not.toThrow();
    expect(() => rec.input({ id: 'v' } as never, { type: 'key', down: true, keysym: 0x61 })).not.toThrow();
    await rec.stop('test');
    const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'recording-failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed[0].code).toBe('ENOSPC');
  });
});
