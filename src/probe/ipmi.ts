import { IpmiError } from '../../protocols/errors.js';
import type { ChannelAuthCaps } from '../../protocols/ipmi/channel-auth-caps.js';
import { AppCmd, NetFn, type PrivilegeName } from '../../protocols/ipmi/constants.js';
import { BMC_MANUFACTURERS, decodeDeviceId, type DeviceId } from '../../protocols/ipmi/device-id.js';
import { getChassisStatus } from '../ipmi/chassis-commands.js';
import { IpmiSession } from '../ipmi/ipmi-session.js';
import { getChannelAuthCaps } from '../ipmi/session-setup.js';
import { resolveTarget } from '../ipmi/target.js';
import { silentLogger, type IpmiTarget } from '../ipmi/types.js';
import { UdpChannel } from '../ipmi/udp-channel.js';
import type { Finding, ProbeOptions } from './types.js';

/**
 * IPMI over LAN (UDP 623). Without credentials: Get Channel Authentication Capabilities, the one
 * command a BMC answers outside a session (what ipmitool and pyghmi send first) — it says whether
 * RMCP+ (IPMI 2.0, all the gateway speaks) is there and whether the BMC has a Kg. No session is
 * opened. With credentials: an RMCP+ session (cipher suites 17 then 3, as the gateway tries them)
 * at the highest privilege the user gets (ADMINISTRATOR, else OPERATOR, else USER), then two reads
 * (Get Device ID, Get Chassis Status) and Close Session.
 */
export interface IpmiFacts {
  readonly kind: 'ipmi';
  readonly port: number;
  readonly supportsIpmi20?: boolean;
  readonly supportsIpmi15?: boolean;
  readonly kgSet?: boolean;
  readonly nullUserNames?: boolean;
  readonly anonymousLogin?: boolean;
  /** With credentials: what worked. */
  readonly session?: { cipherSuite: number; privilege: PrivilegeName; powerOn: boolean; device: DeviceId & { manufacturer?: string } };
  /** With credentials: why no session. */
  readonly sessionError?: { code: string; message: string };
}

const PRIVILEGES: readonly PrivilegeName[] = ['ADMINISTRATOR', 'OPERATOR', 'USER'];

export async function probeIpmi(o: ProbeOptions, signal: AbortSignal): Promise<Finding> {
  const where = `udp/${o.ipmiPort}`;
  const requests = ['Get Channel Authentication Capabilities (IPMI v1.5 framing, outside a session), up to 2 tries'];
  const timing = { timeoutMs: Math.min(o.timeoutMs, 2000), retryBackoffMs: 500, attempts: 2 };
  const target: IpmiTarget = {
    host: o.host,
    port: o.ipmiPort,
    user: o.user ?? '',
    password: o.password ?? '',
    cipherSuites: [17, 3],
    privilege: 'ADMINISTRATOR',
  };
  let caps: ChannelAuthCaps;
  let channel: UdpChannel | undefined;
  try {
    channel = await UdpChannel.open(o.host, o.ipmiPort);
    const closeOnAbort = () => channel?.close();
    signal.addEventListener('abort', closeOnAbort, { once: true });
    try {
      caps = await getChannelAuthCaps(channel, resolveTarget(target), timing, silentLogger);
    } finally {
      signal.removeEventListener('abort', closeOnAbort);
    }
  } catch (err) {
    const e = err as IpmiError;
    const facts: IpmiFacts = { kind: 'ipmi', port: o.ipmiPort };
    if (e.code === 'IPMI_ERR_NO_RMCPP')
      return {
        probe: 'ipmi',
        where,
        outcome: 'problem',
        summary: `IPMI v1.5 only (${e.message}): the gateway speaks IPMI 2.0 (RMCP+)`,
        facts: { ...facts, supportsIpmi20: false },
        requests,
      };
    const absent = e.code === 'IPMI_ERR_TIMEOUT' || e.code === 'IPMI_ERR_UNREACHABLE';
    return {
      probe: 'ipmi',
      where,
      outcome: absent ? 'absent' : 'problem',
      summary: absent ? `no IPMI answer (${e.message})` : `${e.code ?? 'error'}: ${e.message}`,
      facts,
      requests,
    };
  } finally {
    channel?.close();
  }
  const facts: IpmiFacts = {
    kind: 'ipmi',
    port: o.ipmiPort,
    supportsIpmi20: caps.supportsIpmi20,
    supportsIpmi15: caps.supportsIpmi15,
    kgSet: caps.kgSet,
    nullUserNames: caps.nullUserNames,
    anonymousLogin: caps.anonymousLogin,
  };
  const seen = `IPMI ${caps.supportsIpmi20 ? '2.0 (RMCP+)' : '1.5 only'}${caps.supportsIpmi15 && caps.supportsIpmi20 ? ' and 1.5' : ''}, Kg ${caps.kgSet ? 'set (configure kg)' : 'not set'}`;
  if (!caps.supportsIpmi20) return { probe: 'ipmi', where, outcome: 'problem', summary: `${seen}: the gateway speaks IPMI 2.0 (RMCP+) only`, facts, requests };
  if (o.user === undefined || o.password === undefined)
    return { probe: 'ipmi', where, outcome: 'found', summary: `${seen}; no session opened (no credentials given)`, facts, requests };
  if (caps.kgSet)
    return {
      probe: 'ipmi',
      where,
      outcome: 'found',
      summary: `${seen}; no session tried: the BMC wants a Kg (BMC key) the probe has no option for`,
      facts,
      requests,
    };

  let lastError: { code: string; message: string } | undefined;
  for (const privilege of PRIVILEGES) {
    if (signal.aborted) break;
    requests.push(`RMCP+ session setup (Open Session, RAKP 1-4; suites 17, then 3) as ${privilege}, Set Session Privilege Level`);
    let session: IpmiSession | undefined;
    try {
      session = await IpmiSession.open({ ...target, privilege }, { ...timing, keepAliveMs: 60_000 });
      const closeOnAbort = () => void session?.close();
      signal.addEventListener('abort', closeOnAbort, { once: true });
      try {
        requests.push('Get Device ID, Get Chassis Status, Close Session');
        const device = decodeDeviceId((await session.request(NetFn.APP, AppCmd.GET_DEVICE_ID, Buffer.alloc(0), { what: 'Get Device ID' })).data);
        const chassis = await getChassisStatus(session);
        const manufacturer = BMC_MANUFACTURERS.get(device.manufacturerId);
        const withSession: IpmiFacts = {
          ...facts,
          session: { cipherSuite: session.cipherSuite, privilege, powerOn: chassis.powerOn, device: { ...device, ...(manufacturer ? { manufacturer } : {}) } },
        };
        const maker = manufacturer ?? `manufacturer ${device.manufacturerId}`;
        const low = privilege === 'USER' ? ' (USER cannot control power: give the user OPERATOR or ADMINISTRATOR)' : '';
        return {
          probe: 'ipmi',
          where,
          outcome: 'found',
          summary: `${seen}; session with cipher suite ${session.cipherSuite} as ${privilege}${low}; ${maker} BMC firmware ${device.firmware}; chassis power ${chassis.powerOn ? 'on' : 'off'}`,
          facts: withSession,
          requests,
        };
      } finally {
        signal.removeEventListener('abort', closeOnAbort);
      }
    } catch (err) {
      const e = err as IpmiError;
      lastError = { code: e.code ?? 'error', message: e.message };
      // Only a refused privilege is worth a lower one; a wrong password stays wrong.
      const privilegeRefused = e.code === 'IPMI_ERR_PRIVILEGE_REJECTED' || (e.code === 'IPMI_ERR_COMPLETION_CODE' && /Set Session Privilege/.test(e.message));
      if (!privilegeRefused) break;
    } finally {
      await session?.close();
    }
  }
  return {
    probe: 'ipmi',
    where,
    outcome: 'problem',
    summary: `${seen}; no session: ${lastError?.code}: ${lastError?.message}`,
    facts: { ...facts, ...(lastError ? { sessionError: lastError } : {}) },
    requests,
  };
}
