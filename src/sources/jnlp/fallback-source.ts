import { GatewayError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { forwardingSink } from '../forwarding-sink.js';
import type { InputEvent, Source, SourceSink } from '../types.js';

/**
 * An `aten` console with `fallback: jnlp`: the native path first; when it fails, before it ever
 * showed a picture, with GW_ERR_BMC_UNSUPPORTED (the board speaks something the gateway cannot: a
 * KVM port that wants mutual TLS, video in an encoding we do not decode), the same session goes on
 * through the board's Java viewer. Any other failure (wrong password, unreachable, timeout) is the
 * session's answer as without a fallback: Java could not fix it.
 */
export class FallbackSource implements Source {
  readonly #native: Source;
  readonly #makeJava: () => Source;
  readonly #log: Logger;
  #active: Source;
  #sink: SourceSink | undefined;
  #showedPicture = false;
  #closed = false;
  fallback: { from: string; code: string; reason: string } | undefined;

  constructor(native: Source, makeJava: () => Source, log: Logger) {
    this.#native = native;
    this.#active = native;
    this.#makeJava = makeJava;
    this.#log = log;
  }

  get kind(): string {
    return this.#active.kind;
  }

  start(sink: SourceSink): void {
    this.#sink = sink;
    this.#native.start(
      forwardingSink(sink, {
        connected: (info) => {
          this.#showedPicture = true;
          sink.connected(info);
        },
        failed: (err) => this.#nativeFailed(err),
      }),
    );
  }

  input(ev: InputEvent): void {
    this.#active.input(ev);
  }

  close(): void {
    this.#closed = true;
    this.#active.close();
  }

  #nativeFailed(err: Error): void {
    const sink = this.#sink!;
    if (this.#closed) return;
    if (this.#showedPicture || !(err instanceof GatewayError) || err.code !== 'GW_ERR_BMC_UNSUPPORTED') {
      sink.failed(err);
      return;
    }
    this.#native.close();
    this.fallback = { from: this.#native.kind, code: err.code, reason: err.message };
    this.#log.info(
      { event: 'fallback-jnlp', from: this.#native.kind, code: err.code, reason: err.message },
      'the native path cannot serve this board: going on through its Java viewer',
    );
    this.#active = this.#makeJava();
    this.#active.start(sink);
  }
}
