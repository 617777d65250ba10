/**
 * An incremental reader of server-sent events (the `text/event-stream` format of the HTML
 * standard, "Server-sent events" §9.2.6): chunks in, whole events out. Only `event` and `data`
 * fields matter to us; comments and other fields are skipped. No DOM: unit-tested under Node.
 */
export interface SseEvent {
  event: string;
  data: string;
}

/** A line longer than this is not something our gateway sends: the stream is cut off (bounded memory). */
export const MAX_SSE_LINE = 8 * 1024 * 1024;

export class SseParser {
  #buf = '';
  #event = '';
  #data: string[] = [];

  /** Takes the next piece of the stream; returns the events it completed, in order. Throws on an over-long line. */
  feed(chunk: string): SseEvent[] {
    this.#buf += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const nl = this.#buf.search(/\r\n|\r|\n/);
      if (nl < 0) break;
      const line = this.#buf.slice(0, nl);
      // A \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (this.#buf[nl] === '\r' && nl + 1 === this.#buf.length) break;
      this.#buf = this.#buf.slice(nl + (this.#buf.startsWith('\r\n', nl) ? 2 : 1));
      this.#line(line, out);
    }
    if (this.#buf.length > MAX_SSE_LINE) throw new Error(`an event-stream line is longer than ${MAX_SSE_LINE} characters`);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) out.push({ event: this.#event || 'message', data: this.#data.join('\n') });
      this.#event = '';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
  }
}
