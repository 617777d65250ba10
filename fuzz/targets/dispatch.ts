import { parseRequest } from '../../src/dispatch/amqp-agent.js';
import { parseReply } from '../../src/dispatch/amqp-dispatcher.js';
import { AgentDirectory } from '../../src/dispatch/agent-directory.js';
import { AUTH_HEADERS, MessageVerifier, signHeaders, type HmacKey } from '../../src/dispatch/message-auth.js';
import { ForwardedError, GatewayError } from '../../src/errors.js';
import type { FuzzTarget } from '../types.js';

const KEY: HmacKey = { id: 'k1', secret: 'fuzz-secret-0123456789-abcdefghijkl' };
const ENV = { type: 'bmcgw.request', exchange: 'bmcgw', routingKey: 'location.NL', messageId: 'r1', correlationId: 'c1', replyTo: 'q' };

/**
 * The dispatch message decoders: a request as an agent reads it (signature check, then parseRequest),
 * an answer as a front reads it (parseReply), an announcement (AgentDirectory). The first byte picks
 * which; for requests the next 43 bytes are the signature header, so forged and garbled signatures
 * are fuzzed as well as bodies.
 */
export const dispatch: FuzzTarget = {
  name: 'dispatch',
  description: 'dispatch messages from the broker: signed requests (MessageVerifier + parseRequest), replies (parseReply), announcements (AgentDirectory)',
  coverage: ['/src/dispatch/'],
  seeds: () => {
    const req = Buffer.from(
      JSON.stringify({
        v: 1,
        id: 'r1',
        deadline: Date.now() + 3_600_000,
        principal: { kind: 'token', name: 'panel', servers: ['a'], from: '192.0.2.1' },
        call: { type: 'eq', action: 'novnc', fields: { id: 'a', closeurl: 'https://panel.example/c' } },
      }),
    );
    const sig = Buffer.from(String(signHeaders([KEY], ENV, req, Date.now() + 3_000_000)[AUTH_HEADERS.signature]));
    const calls = [
      { type: 'open', serverId: 'a', viewOnly: true, closeUrl: null },
      { type: 'list' },
      { type: 'get', sessionId: 'x~1' },
      { type: 'end', sessionId: '1' },
    ];
    return [
      Buffer.concat([Buffer.from([0]), sig, req]),
      ...calls.map((call) =>
        Buffer.concat([
          Buffer.from([0]),
          sig,
          Buffer.from(JSON.stringify({ v: 1, id: 'r2', deadline: 1, principal: { kind: 'operator', name: 'ops', servers: '*' }, call })),
        ]),
      ),
      Buffer.concat([
        Buffer.from([1]),
        Buffer.from(JSON.stringify({ ok: true, result: { scope: 'http://x/console/k' }, agent: { id: 'a', location: 'NL', url: 'http://x' } })),
      ]),
      Buffer.concat([
        Buffer.from([1]),
        Buffer.from(
          JSON.stringify({
            ok: false,
            error: { code: 'GW_ERR_BMC_TIMEOUT', message: 'slow', status: 504 },
            agent: { id: 'a', location: 'NL', url: 'http://x' },
          }),
        ),
      ]),
      Buffer.concat([Buffer.from([2]), Buffer.from(JSON.stringify({ id: 'nl-a', location: 'NL', url: 'http://x', version: '1', load: 3, at: 1 }))]),
      Buffer.concat([
        Buffer.from([2]),
        Buffer.from(JSON.stringify({ id: 'nl-a', location: 'NL', url: 'http://x', version: '1', load: 3, at: 1, leaving: true })),
      ]),
    ];
  },
  run(input) {
    const kind = (input[0] ?? 0) % 3;
    if (kind === 0) {
      const sig = input.subarray(1, 44).toString('latin1');
      const body = input.subarray(44);
      const verifier = new MessageVerifier({ maxAgeMs: 30_000, clockSkewMs: 3_600_000 * 24 });
      const headers = { [AUTH_HEADERS.keyId]: 'k1', [AUTH_HEADERS.timestamp]: Date.now(), [AUTH_HEADERS.signature]: sig };
      const why = verifier.verify([KEY], { ...ENV, headers, redelivered: false }, body);
      // Bodies are parsed whatever the signature said, so the parser sees every mutation.
      parseRequest(body);
      return `request:${why ?? 'signed'}`;
    }
    if (kind === 1) {
      parseReply(input.subarray(1));
      return 'reply';
    }
    return `announcement:${new AgentDirectory({ announceIntervalMs: 1000 }).update(input.subarray(1))}`;
  },
  // parseRequest throws plain Errors (and JSON's SyntaxError) by design; a TypeError or RangeError is a bug.
  expected: (err) =>
    err instanceof GatewayError || err instanceof ForwardedError || (err instanceof Error && (err.constructor === Error || err instanceof SyntaxError)),
};
