import type { SessionsConfig } from '../../config/types.js';
import type { Logger } from '../../log.js';
import type { InputEvent, Source, SourceSink } from '../types.js';
import type { RfbTransport } from '../vnc/rfb-transport.js';
import { VncSource } from '../vnc/vnc-source.js';
import { BmcwebSession } from './bmcweb-session.js';
import { bmcwebLoginOptions, type OpenBmcConsoleConfig } from './openbmc-config.js';
import { WebSocketBytePipe } from './websocket-byte-pipe.js';

/** bmcweb's KVM route (features/kvm/kvm_websocket.hpp): a byte pipe to obmc-ikvm on 127.0.0.1:5900. */
export const KVM_PATH = '/kvm/0';

/**
 * The `openbmc` source: the same RFB client as `vnc` (VncSource), reaching obmc-ikvm through bmcweb's
 * KVM WebSocket instead of TCP. Every connection attempt, reconnects included, logs in to Redfish,
 * opens `wss://host/kvm/0` with the session's token and, once that connection has ended, deletes the
 * session. obmc-ikvm speaks security type None (libvncserver, no password) and, with the ASPEED video
 * engine, sends full-screen Tight JPEG rectangles whatever encodings we list
 * (protocols/rfb/encodings/tight-jpeg.ts).
 */
export class OpenBmcSource implements Source {
  readonly kind = 'openbmc';
  readonly #rfb: VncSource;

  constructor(cfg: OpenBmcConsoleConfig, log: Logger, sessions: Pick<SessionsConfig, 'reconnectBudgetMs'> & Partial<Pick<SessionsConfig, 'relay'>>) {
    const blog = log.child({ console: 'openbmc' });
    this.#rfb = new VncSource(
      // The RFB handshake's timer starts when the pipe is opened, i.e. before the web login.
      // obmc-ikvm offers security None only; TLS is bmcweb's (wss://), around the pipe.
      {
        type: 'vnc',
        host: cfg.host,
        port: cfg.port,
        password: undefined,
        shared: true,
        connectTimeoutMs: cfg.connectTimeoutMs + 2 * cfg.webTimeoutMs,
        encodings: [],
        tls: 'off',
        insecureTls: false,
        legacyTls: false,
        ca: undefined,
        user: undefined,
      },
      blog,
      sessions,
      bmcwebKvmTransport(cfg, blog),
    );
  }

  start(sink: SourceSink): void {
    this.#rfb.start(sink);
  }

  input(event: InputEvent): void {
    this.#rfb.input(event);
  }

  close(): void {
    this.#rfb.close();
  }
}

/** Opens `path` on the BMC after a Redfish login, as a byte pipe; the session is deleted when the pipe closes. */
export function bmcwebTransport(cfg: OpenBmcConsoleConfig, path: string, what: string, log: Logger): { open(): WebSocketBytePipe } {
  return {
    open(): WebSocketBytePipe {
      const pipe = new WebSocketBytePipe(`${what} (${path})`);
      void (async () => {
        try {
          const session = await BmcwebSession.login(bmcwebLoginOptions(cfg));
          const logout = () => void session.logout().then((ok) => log.debug({ event: 'bmcweb-logout', path, ok }, 'Redfish session deleted'));
          if (pipe.destroyed) {
            logout(); // closed while logging in
            return;
          }
          pipe.once('close', logout);
          pipe.attach(await session.openWebSocket(path));
        } catch (err) {
          pipe.destroy(err as Error);
        }
      })();
      return pipe;
    },
  };
}

function bmcwebKvmTransport(cfg: OpenBmcConsoleConfig, log: Logger): RfbTransport {
  return bmcwebTransport(cfg, KVM_PATH, 'the KVM WebSocket', log);
}
