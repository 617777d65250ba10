import { atenHtml5Credentials, type AtenHtml5TicketLayout } from '../../../protocols/aten/html5-ticket.js';
import { AtenError } from '../../../protocols/errors.js';
import { GatewayError } from '../../errors.js';
import { connectTcpLink, connectWebSocketLink, type KvmLink } from './kvm-link.js';
import { bmcTlsOptions, type AtenWebLoginOptions, type AtenWebSession } from './web-login.js';

/**
 * The two ways to the same ATEN KVM service of a Supermicro BMC, behind one result: a link, the
 * credentials for the ATEN handshake on it, and what this generation of firmware sends as 0x37.
 *
 *   tcp   (X8 to X11 with the Java iKVM): the JNLP's one-time user/password tokens, the iKVM port it
 *         names (or `kvmPort`), the configured host — never the JNLP's.
 *   html5 (late X10 to X13): the bootstrap page's one-time ticket (entry_value) and the web port's
 *         WebSocket, with the web session's cookie. Same handshake, banner `RFB 055.008` echoed.
 */
export type AtenTransport = 'tcp' | 'html5';

export interface OpenedKvm {
  link: KvmLink;
  username: Uint8Array | string;
  password: Uint8Array | string;
  /**
   * 0x37 body length this generation sends: 2 on X9 WPCM450 boards (kelleyk/noVNC, aten-proxy,
   * decaffeine-ipmi, mkrasselt1), 3 on the HTML5 console (kookyleo/ikvmt: a 4-byte message on
   * X10 fw 4.00; the 3-byte "mouse mode" of the public sources).
   */
  mouseInfoBodyBytes: 2 | 3;
}

export interface KvmTransportOptions {
  web: AtenWebLoginOptions;
  kvmHost: string;
  kvmPort?: number;
  connectTimeoutMs: number;
  html5TicketLayout: AtenHtml5TicketLayout;
}

/** Mints fresh one-time credentials on the logged-in web session and opens the link. */
export async function openAtenKvm(transport: AtenTransport, web: AtenWebSession, o: KvmTransportOptions): Promise<OpenedKvm> {
  return transport === 'tcp' ? openTcp(web, o) : openHtml5(web, o);
}

async function openTcp(web: AtenWebSession, o: KvmTransportOptions): Promise<OpenedKvm> {
  const creds = await web.fetchKvmCredentials();
  if (creds.tls && o.kvmPort === undefined) {
    throw new GatewayError(
      'GW_ERR_BMC_UNSUPPORTED',
      `the BMC at ${o.web.host} asks for mutual TLS on its KVM port (JNLP argument 8); configure the plaintext KVM port (usually 63630, "KVM SSL" off) as kvmPort, use transport: html5 if the board has the HTML5 console, or fallback: jnlp`,
      { details: { unsupported: 'kvm-mutual-tls' } },
    );
  }
  const link = connectTcpLink(o.kvmHost, o.kvmPort ?? creds.port);
  return { link, username: creds.username, password: creds.password, mouseInfoBodyBytes: 2 };
}

async function openHtml5(web: AtenWebSession, o: KvmTransportOptions): Promise<OpenedKvm> {
  const html5 = await web.fetchHtml5Console();
  let creds: { username: Buffer; password: Buffer };
  try {
    creds = atenHtml5Credentials(html5.entryValue, o.html5TicketLayout);
  } catch (e) {
    if (e instanceof AtenError) throw new GatewayError('GW_ERR_BMC_PROTOCOL', `the BMC's HTML5 console ticket: ${e.message} [${e.code}]`, { cause: e });
    throw e;
  }
  const link = await connectWebSocketLink(html5.url, { origin: html5.origin, cookie: html5.cookie, tls: bmcTlsOptions(o.web), timeoutMs: o.connectTimeoutMs });
  return { link, ...creds, mouseInfoBodyBytes: 3 };
}
