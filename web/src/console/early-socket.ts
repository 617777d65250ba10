/**
 * The console's WebSocket, opened by the first lines of the page's script — before noVNC's modules
 * are evaluated (noVNC 1.7 awaits a WebCodecs H.264 probe at module level, tens of milliseconds the
 * socket need not wait for) — and handed to noVNC's RFB as an already-open channel (RFB's
 * `urlOrChannel` argument, noVNC ≥ 1.4). Meanwhile the gateway's ProtocolVersion may already have
 * arrived: messages are held until noVNC sets `onmessage`, then given to it in order. noVNC checks
 * a channel for send, close, binaryType, onerror, onmessage, onopen, protocol and readyState
 * (core/websock.js `rawChannelProps`), so those are what this class has.
 */
export class EarlySocket {
  readonly #ws: WebSocket;
  #held: MessageEvent[] = [];
  #onmessage: ((e: MessageEvent) => void) | null = null;
  /** The close event, once the socket closed (code 4000 and the gateway's reason when it refused). */
  closeEvent: CloseEvent | undefined;

  constructor(url: string) {
    this.#ws = new WebSocket(url);
    this.#ws.binaryType = 'arraybuffer';
    this.#ws.addEventListener('message', (e) => {
      if (!this.#onmessage) {
        this.#held.push(e);
        return;
      }
      this.#onmessage(e);
      this.#watchUpdate(e);
    });
    this.#ws.addEventListener('close', (e) => {
      this.closeEvent = e;
    });
  }

  /**
   * Calls `fn` once, after the next FramebufferUpdate (RFB §7.6.1: message type 0) has been given to
   * noVNC. Meant to be set once noVNC is connected: from then on a message starting with 0 is an
   * update, since the gateway sends each server message in one WebSocket message of its own
   * (src/viewer/). noVNC has drawn it by then unless it waits for an image to decode, which is why the
   * page still waits for an animation frame.
   */
  afterNextUpdate(fn: () => void): void {
    this.#updateWatcher = fn;
  }

  #updateWatcher: (() => void) | undefined;

  #watchUpdate(e: MessageEvent): void {
    const fn = this.#updateWatcher;
    if (!fn || !(e.data instanceof ArrayBuffer) || e.data.byteLength === 0 || new Uint8Array(e.data, 0, 1)[0] !== 0) return;
    this.#updateWatcher = undefined;
    fn();
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  get protocol(): string {
    return this.#ws.protocol;
  }

  get binaryType(): BinaryType {
    return this.#ws.binaryType;
  }

  set binaryType(t: BinaryType) {
    this.#ws.binaryType = t;
  }

  send(data: ArrayBufferLike | ArrayBufferView | Blob | string): void {
    this.#ws.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }

  get onmessage(): ((e: MessageEvent) => void) | null {
    return this.#onmessage;
  }

  /**
   * noVNC sets this while its RFB constructor runs, before it has moved to the ProtocolVersion
   * state: held messages go to it in a microtask, i.e. once the constructor has returned and
   * before any later network event.
   */
  set onmessage(fn: ((e: MessageEvent) => void) | null) {
    this.#onmessage = fn;
    if (fn && this.#held.length > 0) {
      queueMicrotask(() => {
        const held = this.#held;
        this.#held = [];
        for (const e of held) this.#onmessage?.(e);
      });
    }
  }

  get onopen(): WebSocket['onopen'] {
    return this.#ws.onopen;
  }

  set onopen(fn: WebSocket['onopen']) {
    this.#ws.onopen = fn;
  }

  get onclose(): WebSocket['onclose'] {
    return this.#ws.onclose;
  }

  set onclose(fn: WebSocket['onclose']) {
    this.#ws.onclose = fn;
  }

  get onerror(): WebSocket['onerror'] {
    return this.#ws.onerror;
  }

  set onerror(fn: WebSocket['onerror']) {
    this.#ws.onerror = fn;
  }
}
