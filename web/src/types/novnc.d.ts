// The part of noVNC's RFB API (@novnc/novnc 1.7, docs/API.md) the pages use. noVNC ships no types.
declare module '@novnc/novnc' {
  /** What RFB accepts instead of a URL: a WebSocket or any object with the same members (noVNC ≥ 1.4). */
  export interface RfbChannel {
    readonly readyState: number | string;
    readonly protocol: string;
    binaryType: BinaryType;
    send(data: ArrayBufferLike | ArrayBufferView): void;
    close(): void;
    onopen: unknown;
    onmessage: unknown;
    onclose: unknown;
    onerror: unknown;
  }

  export interface RfbEventMap {
    connect: CustomEvent<Record<string, never>>;
    disconnect: CustomEvent<{ clean: boolean }>;
    desktopname: CustomEvent<{ name: string }>;
    securityfailure: CustomEvent<{ status: number; reason?: string }>;
  }

  export default class RFB extends EventTarget {
    constructor(
      target: HTMLElement,
      urlOrChannel: string | RfbChannel,
      options?: { shared?: boolean; credentials?: Record<string, string>; wsProtocols?: string[] },
    );
    viewOnly: boolean;
    scaleViewport: boolean;
    clipViewport: boolean;
    resizeSession: boolean;
    focusOnClick: boolean;
    sendKey(keysym: number, code: string | null, down?: boolean): void;
    sendCtrlAltDel(): void;
    focus(): void;
    disconnect(): void;
    addEventListener<K extends keyof RfbEventMap>(type: K, listener: (e: RfbEventMap[K]) => void): void;
  }
}
