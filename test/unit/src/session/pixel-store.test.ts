import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Framebuffer } from '../../../../protocols/rfb/framebuffer.js';
import type { ServerConfig } from '../../../../src/config/types.js';
import { createLogger } from '../../../../src/log.js';
import { COLLECT_AFTER_BYTES, pixelStoreStats, sharedPixelStore } from '../../../../src/session/pixel-store.js';
import { Session } from '../../../../src/session/session.js';
import { bundleGatewayProcess } from '../../../helpers/amqp-gateways.js';
import type { Source, SourceSink } from '../../../../src/sources/types.js';

describe('the gateway’s pixel store (loaded with the session module)', () => {
  it('gives framebuffers zeroed pixels in SharedArrayBuffers, outside V8’s external-memory count', () => {
    expect(pixelStoreStats().shared).toBe(true);
    const px = sharedPixelStore.alloc(1024 * 768 * 4);
    expect(px.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(px.length).toBe(1024 * 768 * 4);
    expect(px.every((b) => b === 0)).toBe(true);
    const fb = new Framebuffer(64, 48);
    expect(fb.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    fb.fillRect(0, 0, 64, 48, 1, 2, 3);
    expect([...fb.data.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
    expect(sharedPixelStore.alloc(0).length).toBe(0);
  });

  it('counts what a resize and a discard give up, each framebuffer once', () => {
    const before = pixelStoreStats();
    const fb = new Framebuffer(100, 10); // 4,000 bytes
    fb.resize(200, 10); // gives up the 4,000
    fb.discard(); // gives up the 8,000
    fb.discard(); // not again
    const after = pixelStoreStats();
    const given = after.givenBytes - before.givenBytes + (after.collections - before.collections) * COLLECT_AFTER_BYTES;
    // A collection in between resets the count; the bytes given up are the same either way (within one collection's rounding).
    expect(after.collections - before.collections > 0 || given === 12_000).toBe(true);
    expect(sharedPixelStore.discard(Buffer.alloc(16))).toBeUndefined(); // plain memory: not counted
    expect(pixelStoreStats().givenBytes).toBe(after.givenBytes);
  });

  it('a session that ends gives up its framebuffer', () => {
    const source: Source & { sink?: SourceSink } = {
      kind: 'vnc',
      start: (sink) => void (source.sink = sink),
      input: () => {},
      close: () => {},
    };
    const session = new Session({
      server: { id: 's1', console: { type: 'vnc' } } as unknown as ServerConfig,
      source,
      log: createLogger('silent'),
      limits: { idleTimeoutMs: 60_000, inputIdleTimeoutMs: 0, inputIdleWarningMs: 0, maxLifetimeMs: 0 },
    });
    session.start();
    source.sink!.connected({ width: 320, height: 200, name: 'x' });
    const before = pixelStoreStats();
    session.end('test');
    const after = pixelStoreStats();
    expect(after.collections > before.collections || after.givenBytes - before.givenBytes === 320 * 200 * 4).toBe(true);
  });

  // The point of it all, in a process of its own (test/helpers/pixel-store-child.ts): dropped
  // framebuffers are freed once enough are given up, and only then.
  it('frees dropped framebuffers once enough are given up, and does not collect for live ones', async () => {
    const child = await bundleGatewayProcess('test/helpers/pixel-store-child.ts');
    const run = (mode: string, count = 40): { grown: number; left: number; collections: number; shared: boolean } =>
      JSON.parse(execFileSync(process.execPath, [child, mode, String(count)], { encoding: 'utf8', timeout: 30_000 }).trim()) as {
        grown: number;
        left: number;
        collections: number;
        shared: boolean;
      };
    const dropped = run('discard');
    expect(dropped.shared).toBe(true);
    expect(dropped.grown).toBeGreaterThan(100); // 40 x 3 MiB touched
    expect(dropped.collections).toBe(1); // 120 MiB given up in one turn: one collection, started once 64 were
    expect(dropped.left).toBeLessThan(dropped.grown / 2);
    // 300 MiB given up at once (a shutdown, a rack going away): one collection frees it all, not one per 64 MiB.
    const burst = run('discard', 100);
    expect(burst.grown).toBeGreaterThan(250);
    expect(burst.collections).toBe(1);
    expect(burst.left).toBeLessThan(burst.grown / 2);
    // Not given up: nothing starts a collection, and V8 does not count this memory, so it is still there.
    const kept = run('keep');
    expect(kept.collections).toBe(0);
    expect(kept.left).toBeGreaterThan(100);
  }, 60_000);
});
