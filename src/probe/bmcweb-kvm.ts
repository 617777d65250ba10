import { ProtocolError } from '../../protocols/errors.js';
import { ClientHandshake } from '../../protocols/rfb/client-handshake.js';
import { GatewayError } from '../errors.js';
import { BmcwebSession } from '../sources/openbmc/bmcweb-session.js';
import { KVM_PATH } from '../sources/openbmc/openbmc-source.js';
import { WebSocketBytePipe } from '../sources/openbmc/websocket-byte-pipe.js';
import { securityTypeName } from './rfb-port.js';
import { converseOn, describeAbsence } from './tcp-conversation.js';
import type { TlsFacts } from './tls-look.js';
import type { Finding, ProbeOptions } from './types.js';

/**
 * OpenBMC's KVM, behind bmcweb's `wss://host/kvm/0`, with credentials, through the gateway's own
 * bmcweb client (src/sources/openbmc/): `POST /redfish/v1/SessionService/Sessions`, the WebSocket
 * upgrade with the session's X-Auth-Token, the RFB handshake up to ServerInit (obmc-ikvm offers
 * None; a shared ClientInit keeps other viewers), close, `DELETE` the session.
 */
export interface BmcwebKvmFacts {
  readonly kind: 'bmcweb-kvm';
  readonly port: number;
  readonly login: 'ok' | 'refused' | 'failed';
  readonly error?: string;
  readonly rfb?: { version: string; securityTypes: readonly number[]; name?: string; width?: number; height?: number };
  readonly loggedOut?: boolean;
}

export async function probeBmcwebKvm(o: ProbeOptions, tls: TlsFacts, signal: AbortSignal): Promise<Finding> {
  const where = `https/${o.webPort}`;
  const requests = ['POST /redfish/v1/SessionService/Sessions (Redfish login)'];
  const facts = (f: Omit<BmcwebKvmFacts, 'kind' | 'port'>): BmcwebKvmFacts => ({ kind: 'bmcweb-kvm', port: o.webPort, ...f });
  if (!tls.verified && !o.insecureTls) {
    return {
      probe: 'bmcweb-kvm',
      where,
      outcome: 'found',
      summary: `bmcweb: not logged in to check ${KVM_PATH}: the certificate is not verified (${tls.verifyError}) — rerun with --insecure-tls to send the password anyway`,
      facts: { kind: 'none' },
      requests: [],
    };
  }
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let session: BmcwebSession;
  try {
    session = await BmcwebSession.login({
      hostForUrl: `${host}:${o.webPort}`,
      user: o.user!,
      password: o.password!,
      insecureTls: !tls.verified,
      legacyTls: tls.legacyNeeded,
      timeoutMs: o.timeoutMs,
    });
  } catch (e) {
    const err = e as GatewayError;
    const refused = err.code === 'GW_ERR_BMC_AUTH_FAILED';
    return {
      probe: 'bmcweb-kvm',
      where,
      outcome: 'problem',
      summary: `bmcweb's Redfish login ${refused ? 'refused the credentials' : 'failed'}: ${err.message}`,
      facts: facts({ login: refused ? 'refused' : 'failed', error: `${err.code}: ${err.message}` }),
      requests,
    };
  }
  try {
    requests.push(`WebSocket upgrade of ${KVM_PATH} with the session's X-Auth-Token; RFB handshake up to ServerInit (security None, shared ClientInit), close`);
    let pipe: WebSocketBytePipe;
    try {
      pipe = new WebSocketBytePipe(`the KVM WebSocket of ${session.origin}`);
      pipe.attach(await session.openWebSocket(KVM_PATH));
    } catch (e) {
      const err = e as GatewayError;
      return {
        probe: 'bmcweb-kvm',
        where,
        outcome: 'problem',
        summary: `bmcweb login OK, but ${KVM_PATH} did not open: ${err.message}`,
        facts: facts({ login: 'ok', error: `${err.code}: ${err.message}` }),
        requests,
      };
    }
    const hs = new ClientHandshake({ shared: true });
    const r = await converseOn(pipe, true, { timeoutMs: o.timeoutMs, signal }, (chunk) => {
      const step = hs.receive(chunk);
      return { send: step.send, ...(step.serverInit ? { done: step.serverInit } : {}) };
    });
    const version = hs.serverVersion ? `${hs.serverVersion.major}.${hs.serverVersion.minor}` : '?';
    const types = hs.securityTypes ?? [];
    if (r.kind === 'done') {
      const i = r.value;
      return {
        probe: 'bmcweb-kvm',
        where,
        outcome: 'found',
        summary: `OpenBMC KVM at ${KVM_PATH}: RFB ${version}, ${types.map(securityTypeName).join(', ')}; desktop "${i.name}" ${i.width}x${i.height}`,
        facts: facts({ login: 'ok', rfb: { version, securityTypes: types, name: i.name, width: i.width, height: i.height } }),
        requests,
      };
    }
    const why =
      r.kind === 'error'
        ? r.error instanceof ProtocolError
          ? `${r.error.code}: ${r.error.message}`
          : String(r.error)
        : (describeAbsence(r, o.timeoutMs) ?? r.kind);
    return {
      probe: 'bmcweb-kvm',
      where,
      outcome: 'problem',
      summary: `${KVM_PATH} opened, but its RFB handshake did not reach ServerInit (${why})`,
      facts: facts({ login: 'ok', error: why, rfb: { version, securityTypes: types } }),
      requests,
    };
  } finally {
    requests.push('DELETE the Redfish session');
    await session.logout();
  }
}
