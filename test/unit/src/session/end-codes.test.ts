import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../../../src/config/types.js';
import { GatewayError } from '../../../../src/errors.js';
import { createLogger } from '../../../../src/log.js';
import { Session, type EndCode } from '../../../../src/session/session.js';
import type { Source, SourceSink } from '../../../../src/sources/types.js';

/** A Source that does nothing but hand its sink out, so the test can fail it the way a real one does. */
function fakeSource(): Source & { sink?: SourceSink } {
  const s: Source & { sink?: SourceSink } = {
    kind: 'jnlp',
    start: (sink) => {
      s.sink = sink;
    },
    input: () => {},
    close: () => {},
  };
  return s;
}

function endOf(err: Error): { code: EndCode | undefined; reason: string | undefined } {
  const source = fakeSource();
  const server = { id: 'j1', console: { type: 'jnlp' } } as unknown as ServerConfig;
  let ended: { code: EndCode; reason: string } | undefined;
  const session = new Session({
    server,
    source,
    log: createLogger('silent'),
    limits: { idleTimeoutMs: 60_000, inputIdleTimeoutMs: 0, inputIdleWarningMs: 0, maxLifetimeMs: 0 },
    hooks: { ended: (_s, code, reason) => (ended = { code, reason }) },
  });
  session.start();
  source.sink!.failed(err);
  return { code: ended?.code, reason: ended?.reason };
}

describe('session end codes', () => {
  it('a Java viewer that exits ends the session with viewer-exited, not bmc-unreachable', () => {
    const e = endOf(new GatewayError('GW_ERR_JAVA_VIEWER_EXITED', 'the Java viewer exited with code 3'));
    expect(e).toEqual({ code: 'viewer-exited', reason: 'BMC connection failed: the Java viewer exited with code 3' });
  });

  it('any other failure of the source is bmc-unreachable', () => {
    expect(endOf(new GatewayError('GW_ERR_BMC_UNREACHABLE', 'refused')).code).toBe('bmc-unreachable');
    expect(endOf(new Error('socket hang up')).code).toBe('bmc-unreachable');
  });
});
