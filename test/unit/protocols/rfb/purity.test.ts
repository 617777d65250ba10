import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * STYLE habit 1: protocols/ is pure — no sockets, HTTP, WebSocket, timers or logging. Checked here
 * for the RFB handshake and message codecs (protocols/rfb/*.ts; encodings/ has its own owner).
 */
const RFB_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../../protocols/rfb');
const FORBIDDEN_MODULES = /from\s+['"](node:)?(net|dgram|tls|http|https|http2|ws|fastify|@fastify\/[^'"]*|undici|pino|timers|timers\/promises|child_process|fs|fs\/promises)['"]/;
const FORBIDDEN_CALLS = /\b(setTimeout|setInterval|setImmediate|queueMicrotask|console\.[a-z]+|process\.)\s*[.(]/;

describe('protocols/rfb purity', () => {
  const files = readdirSync(RFB_DIR).filter((f) => f.endsWith('.ts'));

  it('finds the codec files', () => {
    expect(files).toEqual(expect.arrayContaining(['client-handshake.ts', 'server-handshake.ts', 'client-messages.ts', 'server-message-reader.ts', 'vnc-auth.ts']));
  });

  for (const f of files) {
    it(`${f} imports no I/O, timer or logging module and calls no timer or console`, () => {
      const text = readFileSync(join(RFB_DIR, f), 'utf8');
      // Comments may mention these names; only code counts.
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code).not.toMatch(FORBIDDEN_MODULES);
      expect(code).not.toMatch(FORBIDDEN_CALLS);
    });
  }
});
