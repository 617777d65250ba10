import { describe, expect, it } from 'vitest';
import { MAX_SSE_LINE, SseParser, type SseEvent } from '../../../web/src/common/sse-parser.js';

// Vectors written from the HTML standard's event-stream rules (§9.2.6), not from our writer.
const STREAM = ': comment\r\nevent: power\r\ndata: {"a":1}\r\n\r\nevent:sessions\ndata:line one\ndata: line two\nid: 7\n\n\n\rdata: bare\r\rdata\n\n';
const EVENTS: SseEvent[] = [
  { event: 'power', data: '{"a":1}' },
  { event: 'sessions', data: 'line one\nline two' },
  { event: 'message', data: 'bare' },
  { event: 'message', data: '' },
];

function feedAll(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  return chunks.flatMap((c) => p.feed(c));
}

describe('SseParser', () => {
  it('reads events whole, with CRLF, LF and CR line ends, comments, unknown fields and multi-line data', () => {
    expect(feedAll([STREAM])).toEqual(EVENTS);
  });

  it('gives the same events split at every offset and one character at a time', () => {
    for (let i = 0; i <= STREAM.length; i++) expect(feedAll([STREAM.slice(0, i), STREAM.slice(i)]), `split at ${i}`).toEqual(EVENTS);
    expect(feedAll([...STREAM])).toEqual(EVENTS);
  });

  it('emits nothing for an event not yet ended by a blank line', () => {
    const p = new SseParser();
    expect(p.feed('event: x\ndata: 1\n')).toEqual([]);
    expect(p.feed('\n')).toEqual([{ event: 'x', data: '1' }]);
  });

  it('refuses a line longer than its bound instead of growing without end', () => {
    const p = new SseParser();
    expect(() => p.feed(`data: ${'x'.repeat(MAX_SSE_LINE)}`)).toThrow(/longer than/);
  });
});
