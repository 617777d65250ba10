import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../../src/errors.js';
import { createLogger } from '../../../../../src/log.js';
import { FallbackSource } from '../../../../../src/sources/jnlp/fallback-source.js';
import type { InputEvent, Source, SourceSink } from '../../../../../src/sources/types.js';
import { recordingSink } from '../../../../helpers/source-sink.js';

/** A source the test drives by hand: it reports what the test tells it to. */
class FakeSource implements Source {
  sink: SourceSink | undefined;
  closed = false;
  readonly inputs: InputEvent[] = [];
  constructor(readonly kind: string) {}
  start(sink: SourceSink): void {
    this.sink = sink;
  }
  input(ev: InputEvent): void {
    this.inputs.push(ev);
  }
  close(): void {
    this.closed = true;
  }
}

const sessionSink = () => recordingSink(1, 1);

const log = createLogger('silent');
const key: InputEvent = { type: 'key', down: true, keysym: 0x61 };

describe('FallbackSource (aten with fallback: jnlp)', () => {
  it('goes over to the Java source on GW_ERR_BMC_UNSUPPORTED before any picture, with the same sink', () => {
    const native = new FakeSource('aten');
    const java = new FakeSource('jnlp');
    const f = new FallbackSource(native, () => java, log);
    const sink = sessionSink();
    f.start(sink);
    expect(f.kind).toBe('aten');
    native.sink!.failed(new GatewayError('GW_ERR_BMC_UNSUPPORTED', 'mutual TLS'));
    expect(native.closed).toBe(true);
    expect(f.kind).toBe('jnlp');
    expect(f.fallback).toEqual({ from: 'aten', code: 'GW_ERR_BMC_UNSUPPORTED', reason: 'mutual TLS' });
    expect(java.sink).toBe(sink);
    f.input(key);
    expect(java.inputs).toEqual([key]);
    java.sink!.connected({ width: 1, height: 1, name: 'java' });
    expect(sink.events).toEqual(['connected 1x1']);
    f.close();
    expect(java.closed).toBe(true);
  });

  it('passes on every other failure, and any failure once the native path has shown a picture', () => {
    for (const err of [new GatewayError('GW_ERR_BMC_AUTH_FAILED', 'no'), new GatewayError('GW_ERR_BMC_UNREACHABLE', 'no'), new Error('boom')]) {
      const native = new FakeSource('aten');
      let made = 0;
      const f = new FallbackSource(native, () => (made++, new FakeSource('jnlp')), log);
      const sink = sessionSink();
      f.start(sink);
      native.sink!.failed(err);
      expect(made).toBe(0);
      expect(f.kind).toBe('aten');
      expect(sink.events).toEqual([`failed ${(err as GatewayError).code}`]);
    }
    const native = new FakeSource('aten');
    let made = 0;
    const f = new FallbackSource(native, () => (made++, new FakeSource('jnlp')), log);
    const sink = sessionSink();
    f.start(sink);
    native.sink!.connected({ width: 1, height: 1, name: 'aten' });
    native.sink!.failed(new GatewayError('GW_ERR_BMC_UNSUPPORTED', 'later'));
    expect(made).toBe(0);
    expect(sink.events).toEqual(['connected 1x1', 'failed GW_ERR_BMC_UNSUPPORTED']);
  });

  it('does nothing after close', () => {
    const native = new FakeSource('aten');
    let made = 0;
    const f = new FallbackSource(native, () => (made++, new FakeSource('jnlp')), log);
    const sink = sessionSink();
    f.start(sink);
    f.close();
    native.sink!.failed(new GatewayError('GW_ERR_BMC_UNSUPPORTED', 'late'));
    expect(made).toBe(0);
    expect(sink.events).toEqual([]);
  });
});
