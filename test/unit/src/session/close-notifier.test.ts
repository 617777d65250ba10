import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/log.js';
import { CloseNotifier } from '../../../../src/session/close-notifier.js';
import { CloseUrlPolicy } from '../../../../src/session/close-url-policy.js';
import { startCloseUrlServer } from '../../../helpers/close-url-server.js';

const notice = { sessionId: 's1', serverId: 'srv', code: 'idle' as const, reason: 'no viewer', endedAt: new Date(0).toISOString() };
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('CloseNotifier', () => {
  it('tells the crash journal a call settled only when it is done, not when shutdown cut it off', async () => {
    const ok = await startCloseUrlServer();
    const failing = await startCloseUrlServer({ failFirst: 100 });
    closers.push(ok.close, failing.close);
    const settled: string[] = [];
    const n = new CloseNotifier({ log: createLogger('silent'), attempts: 3, timeoutMs: 2000, policy: CloseUrlPolicy.fromText(['127.0.0.1']) });
    n.onSettled = (url) => settled.push(url);
    n.notify(ok.url, notice);
    n.notify(failing.url, notice);
    await expect.poll(() => ok.calls.length, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => failing.attempts, { timeout: 10_000 }).toBe(1);
    // The failing one is now waiting 1 s to retry: shutdown cuts it off.
    await n.drain(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect(settled).toEqual([ok.url]);
  });

  it('a refused destination is never called and counts as done', async () => {
    const panel = await startCloseUrlServer();
    closers.push(panel.close);
    const settled: string[] = [];
    const n = new CloseNotifier({ log: createLogger('silent'), attempts: 3, timeoutMs: 2000, policy: CloseUrlPolicy.fromText(['public']) });
    n.onSettled = (url) => settled.push(url);
    n.notify(panel.url, notice);
    await expect.poll(() => settled.length, { timeout: 10_000 }).toBe(1);
    expect(panel.attempts).toBe(0);
    await n.drain(100);
  });
});
