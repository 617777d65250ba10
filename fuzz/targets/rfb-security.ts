import { RfbError } from '../../protocols/errors.js';
import { ClientHandshake, type ClientHandshakeOptions } from '../../protocols/rfb/index.js';
import { chunks, type FuzzTarget } from '../types.js';

const V38 = Buffer.from('RFB 003.008\n');
const OK = Buffer.alloc(4);
const SERVER_INIT = Buffer.concat([
  Buffer.from([0, 32, 0, 16, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]),
  Buffer.from([0, 0, 0, 4]),
  Buffer.from('fuzz'),
]);

/** The options of the first byte: TLS mode, which credentials the server's config has. */
function optionsOf(control: number): ClientHandshakeOptions {
  const tls = (['prefer', 'require', 'off'] as const)[control % 3]!;
  return { shared: (control & 8) === 0, tls, ...(control & 16 ? { password: 'fuzz-pw' } : {}), ...(control & 32 ? { user: 'fuzz' } : {}) };
}

/**
 * Security-type negotiation of the RFB client role (rfbproto §7.1.2–7.2; VeNCrypt as gtk-vnc and
 * QEMU speak it; type 18 as vino): the first byte picks the gateway's options (tls prefer/require/off,
 * password, user), the rest is what the server sends. Before the TLS start the bytes come one at a
 * time (a server may not send beyond it); when the handshake asks for TLS, the rest is fed as the
 * TLS session's plaintext after tlsEstablished(), in chunks, up to ServerInit.
 */
export const rfbSecurity: FuzzTarget = {
  name: 'rfb-security',
  description:
    'RFB security negotiation under every client option: None, VNC auth, TLS (18, inner types), VeNCrypt 0.2 subtypes (TLS/X509 × None/Vnc/Plain), results and reasons, across the TLS start',
  coverage: ['/protocols/rfb/client-handshake', '/protocols/rfb/tls-security', '/protocols/rfb/vnc-auth', '/protocols/rfb/version'],
  maxInputBytes: 4096,
  seeds: () => {
    const ctl = (c: number, ...parts: Buffer[]) => Buffer.concat([Buffer.from([c]), ...parts]);
    const B = (...b: number[]) => Buffer.from(b);
    return [
      ctl(0, V38, B(1, 1), OK, SERVER_INIT),
      ctl(16, V38, B(1, 2), Buffer.alloc(16, 0x5a), OK, SERVER_INIT),
      ctl(16, V38, B(1, 2), Buffer.alloc(16, 0x5a), B(0, 0, 0, 1, 0, 0, 0, 14), Buffer.from('bad password!!')),
      ctl(0, Buffer.from('RFB 003.003\n'), B(0, 0, 0, 1), SERVER_INIT),
      ctl(0, Buffer.from('RFB 003.003\n'), B(0, 0, 0, 0, 0, 0, 0, 6), Buffer.from('no way')),
      // Type 18, then inside TLS a second list (vino): None.
      ctl(0, V38, B(2, 18, 2), B(1, 1), OK, SERVER_INIT),
      // VeNCrypt 0.2: subtypes TLSNone, TLSVnc, X509Plain; the chosen one acknowledged, then inside TLS.
      ctl(48, V38, B(1, 19, 0, 2, 0, 3, 0, 0, 1, 2, 0, 0, 1, 3, 0, 0, 1, 6, 1), B(0, 0, 0, 0), OK, SERVER_INIT),
      ctl(16, V38, B(1, 19, 0, 2, 0, 2, 0, 0, 1, 4, 0, 0, 1, 3, 1), Buffer.alloc(16, 0x11), OK, SERVER_INIT),
      ctl(1, V38, B(1, 19, 0, 3)),
    ];
  },
  run(input) {
    const hs = new ClientHandshake(optionsOf(input[0] ?? 0));
    const rest = input.subarray(1);
    let i = 0;
    for (; i < rest.length; i++) {
      const r = hs.receive(rest.subarray(i, i + 1));
      if (r.serverInit) return `init:${hs.securityTypes?.join('.') ?? '-'}`;
      if (r.startTls) {
        i++;
        let t = hs.tlsEstablished();
        const kind = `${r.startTls.kind}:${r.startTls.securityType}:${r.startTls.subtype ?? '-'}`;
        if (t.serverInit) return `tls:${kind}:init`;
        for (const c of chunks(rest.subarray(i))) {
          t = hs.receive(c);
          if (t.serverInit) return `tls:${kind}:init`;
        }
        return `tls:${kind}:${hs.closed().code}`;
      }
    }
    return `open:${hs.closed().code}`;
  },
  expected: (err) => err instanceof RfbError,
};
