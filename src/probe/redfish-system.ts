import { GatewayError } from '../errors.js';
import { RedfishClient } from '../redfish/redfish-client.js';
import { RedfishSession } from '../redfish/redfish-session.js';
import { parseMembers } from '../redfish/resources.js';
import type { TlsFacts } from './tls-look.js';
import type { Finding, ProbeOptions } from './types.js';

/**
 * With credentials, what the gateway's `redfish:` block would do first, through its own Redfish
 * client (src/redfish/): log in (`POST` to the service root's `Links.Sessions`, or HTTP Basic where
 * there is no SessionService), read `Systems` and the first member (PowerState, the
 * ComputerSystem.Reset action and its allowed ResetTypes, reading its ActionInfo when it has one),
 * then `DELETE` the session. Only reads.
 */
export interface RedfishSystemFacts {
  readonly kind: 'redfish-system';
  readonly port: number;
  readonly login: 'ok' | 'refused' | 'failed';
  readonly auth?: 'session' | 'basic';
  readonly systems?: readonly string[];
  readonly powerState?: string;
  readonly resetTypes?: readonly string[];
  readonly canReset?: boolean;
  readonly error?: string;
}

export async function probeRedfishSystem(o: ProbeOptions, tls: TlsFacts, systemsPath: string): Promise<Finding> {
  const where = `https/${o.webPort}`;
  const requests: string[] = [];
  const facts = (f: Omit<RedfishSystemFacts, 'kind' | 'port'>): RedfishSystemFacts => ({ kind: 'redfish-system', port: o.webPort, ...f });
  if (!tls.verified && !o.insecureTls) {
    return {
      probe: 'redfish-system',
      where,
      outcome: 'found',
      summary: `Redfish: not logged in: the certificate is not verified (${tls.verifyError}) — rerun with --insecure-tls to send the password anyway`,
      facts: { kind: 'none' },
      requests,
    };
  }
  if (tls.legacyNeeded) {
    return {
      probe: 'redfish-system',
      where,
      outcome: 'problem',
      summary: "Redfish: this web port needs TLS 1.0/1.1 or legacy ciphers, which the gateway's Redfish client does not offer (no legacyTls key in redfish:)",
      facts: { kind: 'none' },
      requests,
    };
  }
  const session = new RedfishSession({
    host: o.host,
    port: o.webPort,
    user: o.user!,
    password: o.password!,
    insecureTls: !tls.verified,
    timeoutMs: o.timeoutMs,
  });
  try {
    requests.push('GET /redfish/v1/, log in (POST to its Links.Sessions, or HTTP Basic without a SessionService)');
    try {
      await session.login();
    } catch (e) {
      const err = e as GatewayError;
      const refused = err.code === 'GW_ERR_BMC_AUTH_FAILED';
      return {
        probe: 'redfish-system',
        where,
        outcome: 'problem',
        summary: `Redfish login ${refused ? 'refused the credentials' : 'failed'}: ${err.message}`,
        facts: facts({ login: refused ? 'refused' : 'failed', error: `${err.code}: ${err.message}` }),
        requests,
      };
    }
    const auth = session.authMode;
    try {
      requests.push(`GET ${systemsPath} and its first member (and the Reset ActionInfo, if it has one)`);
      const reader = new RedfishClient(session, { taskTimeoutMs: o.timeoutMs });
      const systems = parseMembers((await reader.get(systemsPath, `reading ${systemsPath}`)).body, systemsPath);
      if (systems.length === 0)
        return {
          probe: 'redfish-system',
          where,
          outcome: 'problem',
          summary: `Redfish login OK (${auth}); ${systemsPath} has no members: no system to control`,
          facts: facts({ login: 'ok', ...(auth ? { auth } : {}), systems }),
          requests,
        };
      const client = new RedfishClient(session, { system: systems[0], taskTimeoutMs: o.timeoutMs });
      const sys = await client.system();
      const allowed = await client.allowedResetTypes(sys);
      const canReset = sys.resetTarget !== undefined;
      return {
        probe: 'redfish-system',
        where,
        outcome: canReset ? 'found' : 'problem',
        summary: `Redfish login OK (${auth === 'basic' ? 'HTTP Basic' : 'session'}); ${systems.length} system${systems.length === 1 ? '' : 's'}, ${systems[0]}: power ${sys.powerState ?? '?'}, ${canReset ? `ComputerSystem.Reset${allowed ? ` (${allowed.join(', ')})` : ''}` : 'no ComputerSystem.Reset action'}`,
        facts: facts({
          login: 'ok',
          ...(auth ? { auth } : {}),
          systems: systems.slice(0, 8),
          ...(sys.powerState ? { powerState: sys.powerState } : {}),
          ...(allowed ? { resetTypes: allowed } : {}),
          canReset,
        }),
        requests,
      };
    } catch (e) {
      const err = e as GatewayError;
      return {
        probe: 'redfish-system',
        where,
        outcome: 'problem',
        summary: `Redfish login OK, reading the system failed: ${err.code ?? ''} ${err.message}`,
        facts: facts({ login: 'ok', ...(auth ? { auth } : {}), error: `${err.code}: ${err.message}` }),
        requests,
      };
    }
  } finally {
    if (session.authMode === 'session') requests.push('DELETE the Redfish session');
    await session.close();
  }
}
