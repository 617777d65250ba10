import { GatewayError } from '../errors.js';
import { connectWebSocketLink } from '../sources/aten/kvm-link.js';
import { AtenWebSession, bmcTlsOptions, type AtenWebLoginOptions } from '../sources/aten/web-login.js';
import type { TlsFacts } from './tls-look.js';
import type { Finding, ProbeOptions } from './types.js';
import { webBase, type WebLooker } from './web-get.js';

/**
 * A Supermicro web interface (X8-X13). Without credentials: `GET /`, whose login page posts to
 * `cgi/login.cgi` (the endpoint every public client logs in at, notes §6.1) — a hint, not proof.
 * With credentials, through the gateway's own web login (src/sources/aten/web-login.ts):
 *   POST /cgi/login.cgi; GET the HTML5 bootstrap page (which mints a one-time console ticket that
 *   is never used); open the console WebSocket at the web port's root with the session cookie and
 *   read its first 12 bytes (the banner), then close it — no ATEN handshake, no ticket sent; GET the
 *   iKVM JNLP (which mints one-time KVM tokens, never used, and names the KVM port); GET
 *   /cgi/logout.cgi. Nothing is changed on the BMC beyond a web session that ends at once.
 */
export interface SupermicroWebFacts {
  readonly kind: 'supermicro-web';
  readonly port: number;
  /** `GET /` mentions cgi/login.cgi. */
  readonly loginPageHint: boolean;
  readonly login?: 'ok' | 'refused' | 'failed';
  readonly loginError?: string;
  readonly notTried?: string;
  readonly html5?: { ticket: boolean; banner?: string; error?: string };
  readonly jnlp?: { kvmPort: number; tls: boolean; plaintextPort?: number } | { error: string };
  readonly loggedOut?: boolean;
}

/** Phase 1: the page, no credentials. */
export async function lookAtSupermicroRoot(o: ProbeOptions, web: WebLooker): Promise<{ hint: boolean; status?: number; error?: string }> {
  const r = await web.get(webBase(o.host, o.webPort));
  if (!r.ok) return { hint: false, error: r.message };
  return { hint: /cgi\/login\.cgi/i.test(r.answer.body), status: r.answer.status };
}

/** Phase 2: with credentials, when something said "Supermicro" (the page, an ATEN port, Redfish or IPMI). */
export async function probeSupermicroWeb(o: ProbeOptions, tls: TlsFacts, hint: { page: boolean; why: string }, signal: AbortSignal): Promise<Finding> {
  const where = `https/${o.webPort}`;
  const requests: string[] = ['GET / (no credentials)'];
  const base: SupermicroWebFacts = { kind: 'supermicro-web', port: o.webPort, loginPageHint: hint.page };
  const found = (outcome: Finding['outcome'], summary: string, facts: SupermicroWebFacts): Finding => ({
    probe: 'supermicro-web',
    where,
    outcome,
    summary,
    facts,
    requests,
  });
  if (o.user === undefined || o.password === undefined) {
    return found('found', `Supermicro web interface (${hint.why}); rerun with --user to see which console it serves (HTML5, Java iKVM)`, {
      ...base,
      notTried: 'no credentials given',
    });
  }
  if (!tls.verified && !o.insecureTls) {
    return found(
      'found',
      `Supermicro web interface (${hint.why}); not logged in: the certificate is not verified (${tls.verifyError}) — rerun with --insecure-tls to send the password anyway`,
      { ...base, notTried: 'certificate not verified and no --insecure-tls' },
    );
  }
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const opts: AtenWebLoginOptions = {
    host: `${host}:${o.webPort}`,
    username: o.user,
    password: o.password,
    insecureTls: !tls.verified,
    legacyTls: tls.legacyNeeded,
    timeoutMs: o.timeoutMs,
  };
  requests.push('POST /cgi/login.cgi');
  let session: AtenWebSession;
  try {
    session = await AtenWebSession.login(opts);
  } catch (e) {
    const err = e as GatewayError;
    const refused = err.code === 'GW_ERR_BMC_AUTH_FAILED';
    return found('problem', `Supermicro web login ${refused ? 'refused the credentials' : 'failed'}: ${err.message}`, {
      ...base,
      login: refused ? 'refused' : 'failed',
      loginError: `${err.code}: ${err.message}`,
    });
  }
  // Cut short by the run's deadline: still end the web session (the logout is bounded by the timeout).
  const onAbort = () => void session.logout().finally(() => session.close());
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    requests.push('GET the HTML5 bootstrap page (cgi/url_redirect.cgi?url_name=man_ikvm_html5_bootstrap)');
    const html5 = await lookAtHtml5(session, opts, o.timeoutMs, requests);
    requests.push('GET the iKVM JNLP (cgi/url_redirect.cgi?url_name=ikvm, then man_ikvm)');
    let jnlp: SupermicroWebFacts['jnlp'];
    try {
      const c = await session.fetchKvmCredentials();
      const plaintext = Number(c.arguments[4]);
      jnlp = {
        kvmPort: c.port,
        tls: c.tls,
        ...(c.tls && Number.isInteger(plaintext) && plaintext > 0 && plaintext < 65536 ? { plaintextPort: plaintext } : {}),
      };
    } catch (e) {
      jnlp = { error: (e as Error).message };
    }
    requests.push('GET /cgi/logout.cgi');
    const loggedOut = await session.logout();
    const facts: SupermicroWebFacts = { ...base, login: 'ok', html5, jnlp, loggedOut };
    const parts = ['Supermicro web login OK'];
    parts.push(
      html5.ticket
        ? `HTML5 console: ticket on the bootstrap page, WebSocket ${html5.banner ? `banner ${JSON.stringify(html5.banner)}` : `not answering (${html5.error})`}`
        : 'no HTML5 console page',
    );
    parts.push(
      'error' in jnlp
        ? 'no Java iKVM JNLP'
        : `Java iKVM JNLP: KVM port ${jnlp.kvmPort}${jnlp.tls ? ` with mutual TLS ("KVM SSL"; plaintext port ${jnlp.plaintextPort ?? '?'})` : ''}`,
    );
    if (!loggedOut) parts.push('the logout was not confirmed');
    return found('found', parts.join('; '), facts);
  } finally {
    signal.removeEventListener('abort', onAbort);
    await session.close();
  }
}

/** The bootstrap page and, with its ticket found, the console WebSocket's first 12 bytes. */
async function lookAtHtml5(
  session: AtenWebSession,
  opts: AtenWebLoginOptions,
  timeoutMs: number,
  requests: string[],
): Promise<NonNullable<SupermicroWebFacts['html5']>> {
  let hc;
  try {
    hc = await session.fetchHtml5Console();
  } catch (e) {
    return { ticket: false, error: (e as Error).message };
  }
  requests.push(`WebSocket upgrade at ${hc.url} with the session cookie, read 12 bytes, close (no handshake, the ticket is not sent)`);
  try {
    const link = await connectWebSocketLink(hc.url, { origin: hc.origin, cookie: hc.cookie, tls: bmcTlsOptions(opts), timeoutMs });
    const banner = await new Promise<string | undefined>((resolve) => {
      let got = Buffer.alloc(0);
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      link.onData((chunk) => {
        got = Buffer.concat([got, chunk]);
        if (got.length >= 12) {
          clearTimeout(timer);
          resolve(got.subarray(0, 12).toString('latin1').trimEnd());
        }
      });
      link.onEnd(() => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    await link.close();
    return banner ? { ticket: true, banner } : { ticket: true, error: `nothing within ${timeoutMs} ms (firmware that serves the page but not the console)` };
  } catch (e) {
    return { ticket: true, error: (e as Error).message };
  }
}
