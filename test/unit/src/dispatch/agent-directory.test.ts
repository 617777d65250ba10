import { describe, expect, it } from 'vitest';
import { AgentDirectory } from '../../../../src/dispatch/agent-directory.js';

const ann = (o: Record<string, unknown>) =>
  Buffer.from(JSON.stringify({ id: 'nl-a', location: 'NL', url: 'http://a', version: '0.1.0', load: 0, at: 1, ...o }));

describe('AgentDirectory', () => {
  it('lists agents heard from within three intervals, sorted by location and id', () => {
    let now = 0;
    const d = new AgentDirectory({ announceIntervalMs: 100, now: () => now });
    expect(d.update(ann({ id: 'us-a', location: 'US' }))).toBe(true);
    expect(d.update(ann({ id: 'nl-b' }))).toBe(true);
    now = 200;
    expect(d.update(ann({ id: 'nl-a', load: 3 }))).toBe(true);
    expect(d.list().map((a) => a.id)).toEqual(['nl-a', 'nl-b', 'us-a']);
    now = 350; // us-a and nl-b last heard at 0: stale
    expect(d.list().map((a) => [a.id, a.load, a.lastSeenMs])).toEqual([['nl-a', 3, 150]]);
    expect(d.get('us-a')).toBeUndefined();
    expect(d.get('nl-a')?.url).toBe('http://a');
  });

  it('drops an agent that says it is leaving, and ignores what is not an announcement', () => {
    const d = new AgentDirectory({ announceIntervalMs: 100 });
    d.update(ann({}));
    expect(d.update(ann({ leaving: true }))).toBe(true);
    expect(d.list()).toEqual([]);
    expect(d.update(Buffer.from('not json'))).toBe(false);
    expect(d.update(Buffer.from('{"id":1}'))).toBe(false);
    expect(d.update(Buffer.from('null'))).toBe(false);
    expect(d.list()).toEqual([]);
  });
});
