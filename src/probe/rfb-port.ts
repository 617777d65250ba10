import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { ATEN_BANNERS, ATEN_SECURITY_TYPE } from '../../protocols/aten/constants.js';
import { AtenClientHandshake, looksLikeTightCapabilities } from '../../protocols/aten/handshake.js';
import { ProtocolError } from '../../protocols/errors.js';
import { ClientHandshake, type ServerInit, type StartTls } from '../../protocols/rfb/client-handshake.js';
import { SecurityType } from '../../protocols/rfb/constants.js';
import { chooseSubtype, SUBTYPES, subtypeName } from '../../protocols/rfb/tls-security.js';
import { tlsFailure, upgradeToTls } from '../sources/vnc/tls-upgrade.js';
import { converse, converseOn, describeAbsence, type TcpOutcome } from './tcp-conversation.js';
import { certificateFacts, describeTls, lookAtTls, type TlsFacts } from './tls-look.js';
import type { Finding, ProbeOptions } from './types.js';

/**
 * One TCP port where a console may answer: standard RFB (QEMU, TigerVNC, iDRAC's and iBMC's VNC
 * service, OpenBMC's obmc-ikvm when exposed), Supermicro's ATEN iKVM (X8-X11 Java consoles), or a
 * TLS wrapper in front of ATEN (Supermicro "KVM SSL", stunnel with a client certificate).
 *
 * What is sent, and nothing else:
 *  1. RFB: our ProtocolVersion answer, then, when the server offers None, the None choice and a
 *     shared ClientInit (the server's ServerInit says name and size); when it offers VNC
 *     Authentication and a password was given, that choice and the DES response. Without a
 *     password the connection is closed once the security types are read.
 *  2. Only when the answer looks like ATEN (banner `RFB 055.008`, or type 16 alone): a second
 *     connection that echoes the banner, chooses 16, reads the 24-byte block and closes: no
 *     credentials (the real X9-X11 captures in shared/fixtures stop at the same point).
 *  3. Only when the port stays silent: a TLS handshake with no client certificate, then a wait
 *     for the first bytes or the server's alert.
 */

/** rfbproto §7.1.2 "Security Types", the registered numbers, for reports. */
const SECURITY_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  1: 'None',
  2: 'VNC Authentication',
  5: 'RA2',
  6: 'RA2ne',
  16: 'Tight',
  17: 'Ultra',
  18: 'TLS',
  19: 'VeNCrypt',
  20: 'SASL',
  21: 'MD5 hash',
  22: 'xvp',
  30: 'Apple ARD',
});

export function securityTypeName(n: number): string {
  const name = SECURITY_TYPE_NAMES[n];
  return name ? `${name} (${n})` : `${n}`;
}

/** How the connection went through TLS (security type 18 or a VeNCrypt subtype). */
export interface RfbTlsFacts {
  readonly securityType: number;
  readonly subtype?: number;
  readonly kind: 'anonymous' | 'x509';
  readonly protocol?: string;
  /** X509 subtypes: the certificate, and whether it verifies for this host (else `insecureTls` is needed). */
  readonly certificate?: TlsFacts;
  readonly error?: string;
}

export type RfbPortFacts =
  | {
      kind: 'rfb';
      port: number;
      version: string;
      securityTypes: readonly number[];
      vencryptSubtypes?: readonly number[];
      tls?: RfbTlsFacts;
      auth?: 'none' | 'vnc' | 'plain';
      passwordAccepted?: boolean;
      passwordRefused?: boolean;
      name?: string;
      width?: number;
      height?: number;
      bitsPerPixel?: number;
      depth?: number;
    }
  | { kind: 'aten'; port: number; banner: string; securityTypes: readonly number[]; challengeBytes: number }
  | { kind: 'tls-wrapped'; port: number; tls: TlsFacts; clientCertificateRequired: boolean; banner?: string }
  | { kind: 'none'; port: number; reason: string };

type Step = { init: ServerInit } | { startTls: StartTls };

export async function probeRfbPort(o: ProbeOptions, port: number, signal: AbortSignal): Promise<Finding> {
  const where = `tcp/${port}`;
  const requests: string[] = [`TCP connect to ${where}, read the RFB ProtocolVersion`];
  const password = o.vncPassword ?? o.password;
  // `prefer`, as the gateway's default: a TLS type when offered. The user goes with VeNCrypt's Plain subtypes only.
  const hs = new ClientHandshake({ shared: true, tls: 'prefer', ...(password ? { password } : {}), ...(o.user ? { user: o.user } : {}) });
  const feed = (chunk: Buffer) => {
    const step = hs.receive(chunk);
    const done: Step | undefined = step.serverInit ? { init: step.serverInit } : step.startTls ? { startTls: step.startTls } : undefined;
    return { send: step.send, ...(done ? { done } : {}) };
  };
  let a: TcpOutcome<Step> = await converse(o.host, port, { timeoutMs: o.timeoutMs, signal, keep: (v) => 'startTls' in v }, feed);
  const version = hs.serverVersion ? `${hs.serverVersion.major}.${hs.serverVersion.minor}` : undefined;
  const offered = hs.securityTypes;
  if (version) requests.push('sent our ProtocolVersion, read the security types');
  let tls: RfbTlsFacts | undefined;
  if (a.kind === 'done' && 'startTls' in a.value) {
    const t = await continueInTls(o, port, hs, a.stream!, a.value.startTls, signal, requests);
    tls = t.facts;
    a = t.outcome;
  }
  const finding = (outcome: Finding['outcome'], summary: string, facts: RfbPortFacts): Finding => ({ probe: 'rfb', where, outcome, summary, facts, requests });
  const rfbFacts = (extra: Partial<Extract<RfbPortFacts, { kind: 'rfb' }>> = {}): RfbPortFacts => ({
    kind: 'rfb',
    port,
    version: version ?? '?',
    securityTypes: offered ?? [],
    ...(hs.vencryptSubtypes ? { vencryptSubtypes: hs.vencryptSubtypes } : {}),
    ...(tls ? { tls } : {}),
    ...extra,
  });
  const types = [
    offered ? offered.map(securityTypeName).join(', ') : '',
    hs.vencryptSubtypes ? ` (VeNCrypt subtypes ${hs.vencryptSubtypes.map(subtypeName).join(', ')})` : '',
    tls ? `; ${describeRfbTls(tls)}` : '',
  ].join('');
  const auth = authOf(tls, hs.tlsSecurityTypes ?? offered);

  if (a.kind === 'done' && 'init' in a.value) {
    const init = a.value.init;
    requests.push(
      auth === 'none'
        ? 'chose a type without password, sent a shared ClientInit, read ServerInit, closed'
        : `answered the ${auth === 'plain' ? 'Plain' : 'VNC Authentication'} step with the given ${auth === 'plain' ? 'user and password' : 'password'}, sent a shared ClientInit, read ServerInit, closed`,
    );
    return finding(
      'found',
      `RFB ${version}: ${types}; ${auth === 'none' ? 'no password needed' : auth === 'plain' ? 'user and password accepted' : 'the password was accepted'}; desktop "${init.name}" ${init.width}x${init.height}, ${init.pixelFormat.bitsPerPixel} bpp`,
      rfbFacts({
        auth,
        ...(auth !== 'none' ? { passwordAccepted: true } : {}),
        name: init.name,
        width: init.width,
        height: init.height,
        bitsPerPixel: init.pixelFormat.bitsPerPixel,
        depth: init.pixelFormat.depth,
      }),
    );
  }
  if (a.kind === 'done') {
    // Stopped inside TLS on purpose (a certificate that does not verify, no --insecure-tls).
    return finding(
      'found',
      `RFB ${version}: ${types}; credentials not sent: the certificate does not verify (rerun with --insecure-tls to check them)`,
      rfbFacts({ auth }),
    );
  }

  if (looksLikeAten(hs, a)) return probeAten(o, port, signal, requests);

  if (a.kind === 'error' && a.error instanceof ProtocolError) {
    const e = a.error;
    switch (e.code) {
      case 'RFB_ERR_PASSWORD_REQUIRED': {
        requests.push(
          hs.vencryptSubtypes
            ? 'chose VeNCrypt (version 0.2), read its subtypes, closed without choosing one (no credentials given)'
            : 'closed without choosing (no credentials given)',
        );
        // What the gateway would take given credentials: VeNCrypt's choice, else VNC Authentication.
        const needs = hs.vencryptSubtypes ? SUBTYPES.get(chooseSubtype(hs.vencryptSubtypes, { password: 'x', user: 'x' }))!.auth : 'vnc';
        return finding(
          'found',
          `RFB ${version}: ${types}; ${needs === 'plain' ? 'a user and password are' : 'a password is'} needed (rerun with them to check)`,
          rfbFacts({ auth: needs }),
        );
      }
      case 'RFB_ERR_AUTH_FAILED':
        return finding('problem', `RFB ${version}: ${types}; the password was refused (${e.message})`, rfbFacts({ auth, passwordRefused: true }));
      case 'RFB_ERR_NO_SECURITY_TYPE':
        requests.push('closed without choosing');
        return finding('problem', `RFB ${version}: offers ${types}, none of which the gateway speaks`, rfbFacts());
      case 'RFB_ERR_BAD_VERSION':
        return finding('absent', `not RFB: ${e.message}`, { kind: 'none', port, reason: e.message });
      default:
        return finding('problem', `RFB ${version ?? ''}: ${types}; ${e.code}: ${e.message}`, rfbFacts());
    }
  }
  if (tls?.error) return finding('problem', `RFB ${version}: ${types}`, rfbFacts());
  if (a.kind === 'silent') return probeTlsWrapped(o, port, signal, requests);
  const absent = describeAbsence(a, o.timeoutMs);
  if (absent) return finding('absent', absent, { kind: 'none', port, reason: absent });
  if (a.kind === 'closed' && version) {
    const why = hs.closed().message;
    return finding('problem', `RFB ${version}${types ? `: ${types}` : ''}; the server closed the connection (${why})`, rfbFacts());
  }
  const what =
    a.kind === 'error'
      ? `unexpected error: ${(a.error as Error).message}`
      : a.kind === 'closed'
        ? `closed after ${a.received} bytes, before a whole ProtocolVersion`
        : a.kind === 'stalled'
          ? `stalled after ${a.received} bytes`
          : a.kind;
  return finding('absent', `not RFB: ${what}`, { kind: 'none', port, reason: what });
}

/**
 * What the chosen security asks for: nothing, a VNC password, or VeNCrypt Plain's user and password.
 * `offered`: the list the choice was made from (for type 18 the one inside TLS, where empty means None).
 */
function authOf(tls: RfbTlsFacts | undefined, offered: readonly number[] | undefined): 'none' | 'vnc' | 'plain' {
  const sub = tls?.subtype !== undefined ? SUBTYPES.get(tls.subtype) : undefined;
  if (sub) return sub.auth;
  return offered?.includes(SecurityType.None) || offered?.length === 0 ? 'none' : 'vnc';
}

function describeRfbTls(t: RfbTlsFacts): string {
  const what = t.securityType === SecurityType.TLS ? 'TLS (18)' : `VeNCrypt ${subtypeName(t.subtype ?? 0)}`;
  if (t.error) return `${what} failed: ${t.error}`;
  if (t.kind === 'anonymous') return `${what}, anonymous ${t.protocol ?? ''}`.trimEnd();
  return `${what}, ${t.certificate ? describeTls(t.certificate) : (t.protocol ?? '')}`;
}

/**
 * The handshake asked for TLS: the gateway's own upgrade (src/sources/vnc/tls-upgrade.ts) with
 * certificate checks off, so the certificate can be looked at; then, unless it is an X509 one that
 * does not verify while credentials would follow (and no --insecure-tls), the handshake goes on
 * inside TLS to ServerInit.
 */
async function continueInTls(
  o: ProbeOptions,
  port: number,
  hs: ClientHandshake,
  stream: Duplex,
  start: StartTls,
  signal: AbortSignal,
  requests: string[],
): Promise<{ facts: RfbTlsFacts; outcome: TcpOutcome<Step> }> {
  const base = { securityType: start.securityType, ...(start.subtype !== undefined ? { subtype: start.subtype } : {}), kind: start.kind };
  requests.push(
    `chose ${start.securityType === SecurityType.TLS ? 'TLS (18)' : `VeNCrypt ${subtypeName(start.subtype ?? 0)}`}, TLS handshake (${start.kind === 'anonymous' ? 'anonymous' : 'certificate not required to verify'})`,
  );
  let socket: TLSSocket;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no TLS handshake within ${o.timeoutMs} ms`)), o.timeoutMs);
    });
    socket = await Promise.race([upgradeToTls(stream, start, { host: o.host, insecureTls: true, legacyTls: false, ca: undefined }), timeout]);
  } catch (e) {
    stream.destroy();
    const err = tlsFailure(e as Error, start, { host: o.host, port, insecureTls: true, ca: undefined });
    return { facts: { ...base, error: err.message }, outcome: { kind: 'error', error: err, received: 0 } };
  } finally {
    clearTimeout(timer);
  }
  const certificate = start.kind === 'x509' ? certificateFacts(socket) : undefined;
  const facts: RfbTlsFacts = { ...base, protocol: socket.getProtocol() ?? 'unknown', ...(certificate ? { certificate } : {}) };
  const needsCredentials = SUBTYPES.get(start.subtype ?? -1)?.auth !== 'none' && start.securityType !== SecurityType.TLS;
  if (certificate && !certificate.verified && needsCredentials && !o.insecureTls) {
    socket.destroy();
    return { facts, outcome: { kind: 'done', value: { startTls: start }, received: 0 } };
  }
  const first = hs.tlsEstablished();
  for (const b of first.send) socket.write(b);
  if (first.serverInit) {
    socket.destroy();
    return { facts, outcome: { kind: 'done', value: { init: first.serverInit }, received: 0 } };
  }
  const outcome = await converseOn<Step>(socket, true, { timeoutMs: o.timeoutMs, signal }, (chunk) => {
    const step = hs.receive(chunk);
    return { send: step.send, ...(step.serverInit ? { done: { init: step.serverInit } } : {}) };
  });
  return { facts, outcome };
}

/**
 * ATEN's banners are RFB 3.8 and its 055.008 (an RFB client answering 3.8 to the latter is closed
 * on: notes §2.1), and it offers type 16 alone (every capture and public client).
 */
function looksLikeAten(hs: ClientHandshake, a: TcpOutcome<unknown>): boolean {
  const v = hs.serverVersion;
  if (!v) return false;
  if (v.major === 55 && v.minor === 8) return true;
  const t = hs.securityTypes;
  return v.major === 3 && v.minor === 8 && t !== undefined && t.length === 1 && t[0] === ATEN_SECURITY_TYPE && a.kind !== 'done';
}

async function probeAten(o: ProbeOptions, port: number, signal: AbortSignal, requests: string[]): Promise<Finding> {
  const where = `tcp/${port}`;
  requests.push('closed; second connection: echoed the banner verbatim, chose type 16, read the 24-byte block, closed (no credentials sent)');
  let banner = '';
  const hs = new AtenClientHandshake({ username: '', password: '', stopAtChallenge: true });
  const b = await converse(o.host, port, { timeoutMs: o.timeoutMs, signal }, (chunk) => {
    if (!banner) banner = chunk.subarray(0, 12).toString('latin1');
    const step = hs.receive(chunk);
    return { send: step.send, ...(step.challenge ? { done: step.challenge } : {}) };
  });
  const shownBanner = JSON.stringify(banner.trimEnd());
  if (b.kind === 'done') {
    if (looksLikeTightCapabilities(b.value)) {
      return {
        probe: 'aten-tcp',
        where,
        outcome: 'problem',
        summary: `banner ${shownBanner}, type 16 is TightVNC's security type here (a capability list followed), not ATEN's: not supported`,
        facts: { kind: 'none', port, reason: 'TightVNC security type 16' },
        requests,
      };
    }
    const facts: RfbPortFacts = { kind: 'aten', port, banner: banner.trimEnd(), securityTypes: [ATEN_SECURITY_TYPE], challengeBytes: b.value.length };
    return {
      probe: 'aten-tcp',
      where,
      outcome: 'found',
      summary: `Supermicro ATEN iKVM: banner ${shownBanner}, security type 16 only, a 24-byte challenge`,
      facts,
      requests,
    };
  }
  const why = b.kind === 'error' ? `${(b.error as ProtocolError).code ?? ''} ${(b.error as Error).message}` : (describeAbsence(b, o.timeoutMs) ?? b.kind);
  const reason = `looked like ATEN (banner ${shownBanner}), but the handshake did not reach the 24-byte challenge: ${why}`;
  return { probe: 'aten-tcp', where, outcome: 'problem', summary: reason, facts: { kind: 'none', port, reason }, requests };
}

/**
 * A port that accepts the connection and waits for the client to speak: on a Supermicro with "KVM
 * SSL" on, 5900 is stunnel asking for the Java viewer's client certificate (notes §6.2, variant B).
 */
async function probeTlsWrapped(o: ProbeOptions, port: number, signal: AbortSignal, requests: string[]): Promise<Finding> {
  const where = `tcp/${port}`;
  requests.push(`nothing was sent within ${o.timeoutMs} ms; a TLS handshake without a client certificate, then waited for the first bytes`);
  const t = await lookAtTls(o.host, port, { timeoutMs: o.timeoutMs, signal, readFirstBytes: true });
  if (t.kind !== 'tls') {
    const reason = `connected, but nothing was sent within ${o.timeoutMs} ms, and no TLS either (${t.message})`;
    return { probe: 'rfb', where, outcome: 'absent', summary: reason, facts: { kind: 'none', port, reason }, requests };
  }
  const banner = t.firstBytes?.subarray(0, 12).toString('latin1');
  const clientCertificateRequired = t.laterError !== undefined && /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE|UNKNOWN_CA/i.test(t.laterError);
  const facts: RfbPortFacts = { kind: 'tls-wrapped', port, tls: t.facts, clientCertificateRequired, ...(banner ? { banner: banner.trimEnd() } : {}) };
  const inner =
    banner && (ATEN_BANNERS as readonly string[]).includes(banner)
      ? `an RFB/ATEN banner ${JSON.stringify(banner.trimEnd())} inside TLS`
      : banner
        ? `${JSON.stringify(banner)} inside TLS`
        : clientCertificateRequired
          ? `the server wants a client certificate (${t.laterError})`
          : t.laterError
            ? `then ${t.laterError}`
            : 'then nothing';
  return {
    probe: 'rfb',
    where,
    outcome: 'problem',
    summary: `TLS before any RFB (${describeTls(t.facts)}); ${inner}. The gateway speaks RFB's own TLS types, not RFB inside TLS: on a Supermicro this is "KVM SSL" (mutual TLS with the Java viewer's certificate), not supported — turn it off and use the plaintext iKVM port (usually 63630) as kvmPort, or transport: html5`,
    facts,
    requests,
  };
}
