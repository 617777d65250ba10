import { subtypeName } from '../../protocols/rfb/tls-security.js';
import type { BmcwebKvmFacts } from './bmcweb-kvm.js';
import type { IpmiFacts } from './ipmi.js';
import type { RedfishRootFacts } from './redfish-root.js';
import type { RedfishSystemFacts } from './redfish-system.js';
import type { RfbPortFacts } from './rfb-port.js';
import type { SupermicroWebFacts } from './supermicro-web.js';
import type { TlsFacts } from './tls-look.js';
import type { Confidence, Finding, ProbeOptions, Suggestion } from './types.js';

/**
 * From what the probes saw to the blocks of a server entry. One rule per console kind; the best
 * console wins by confidence (verified with the credentials > seen > guessed), then by kind
 * (OpenBMC, ATEN, VNC: the more specific protocol first). Every password is null: the operator fills
 * it in, and `check-config` refuses the entry until then (as with `convert-nojava`). Keys equal to
 * their defaults are left out, so the entry shows only what this BMC needs.
 */

const RANK: Record<Confidence, number> = { verified: 3, seen: 2, guess: 1 };

export interface WebTls {
  /** The look at the web port (undefined: no TLS there). */
  readonly tls?: TlsFacts;
}

export function suggest(o: ProbeOptions, findings: readonly Finding[], web: WebTls): { chosen: Suggestion[]; alternatives: Suggestion[] } {
  // A stable sort: within one confidence, OpenBMC before ATEN before VNC.
  const consoles = [...openBmcConsoles(o, findings, web), ...atenConsoles(o, findings, web), ...vncConsoles(o, findings)].sort(
    (a, b) => RANK[b.confidence] - RANK[a.confidence],
  );
  const ipmi = ipmiBlocks(o, findings);
  const redfish = redfishBlocks(o, findings, web);
  const chosen: Suggestion[] = [];
  const alternatives: Suggestion[] = [];
  for (const list of [consoles, ipmi, redfish]) {
    if (list.length > 0) chosen.push(list[0]!);
    alternatives.push(...list.slice(1));
  }
  return { chosen, alternatives };
}

function factsOf<F>(findings: readonly Finding[], kind: string): F[] {
  return findings.map((f) => f.facts as { kind?: string }).filter((f) => f.kind === kind) as F[];
}

function tlsKeys(tls: TlsFacts | undefined): Record<string, unknown> {
  return { ...(tls && !tls.verified ? { insecureTls: true } : {}), ...(tls?.legacyNeeded ? { legacyTls: true } : {}) };
}

function openBmcConsoles(o: ProbeOptions, findings: readonly Finding[], web: WebTls): Suggestion[] {
  const root = factsOf<RedfishRootFacts>(findings, 'redfish')[0];
  if (!root?.bmcweb) return [];
  const kvm = factsOf<BmcwebKvmFacts>(findings, 'bmcweb-kvm')[0];
  if (kvm && (kvm.login === 'refused' || !kvm.rfb?.name)) return [];
  const config = {
    type: 'openbmc',
    host: o.host,
    ...(o.webPort !== 443 ? { port: o.webPort } : {}),
    user: o.user ?? null,
    password: null,
    ...tlsKeys(web.tls),
  };
  return [
    kvm
      ? {
          block: 'console',
          confidence: 'verified',
          config,
          because: `bmcweb's /kvm/0 opened with a Redfish session: RFB ${kvm.rfb!.version}, desktop "${kvm.rfb!.name}"`,
        }
      : {
          block: 'console',
          confidence: 'seen',
          config,
          because: `the Redfish service root looks like OpenBMC's bmcweb; /kvm/0 was not checked (${o.user === undefined ? 'no credentials' : 'see the bmcweb finding'})`,
        },
  ];
}

function vncConsoles(o: ProbeOptions, findings: readonly Finding[]): Suggestion[] {
  const out: Suggestion[] = [];
  for (const f of factsOf<Extract<RfbPortFacts, { kind: 'rfb' }>>(findings, 'rfb')) {
    // Something the gateway can speak was offered and chosen; a refused password or a failed TLS is not a suggestion.
    if (f.passwordRefused || f.auth === undefined || f.tls?.error) continue;
    const verified = f.auth === 'none' ? f.name !== undefined : f.passwordAccepted === true;
    const cert = f.tls?.certificate;
    const how = f.tls
      ? f.tls.securityType === 18
        ? 'TLS (18)'
        : `VeNCrypt ${subtypeName(f.tls.subtype ?? 0)}`
      : f.auth === 'none'
        ? 'None'
        : 'VNC Authentication';
    out.push({
      block: 'console',
      confidence: verified ? 'verified' : 'seen',
      config: {
        type: 'vnc',
        host: o.host,
        ...(f.port !== 5900 ? { port: f.port } : {}),
        ...(f.auth === 'plain' ? { user: o.user ?? null } : {}),
        ...(f.auth !== 'none' ? { password: null } : {}),
        ...(cert && !cert.verified ? { insecureTls: true } : {}),
      },
      because: `RFB ${f.version} on tcp/${f.port}, ${how}: ${verified ? (f.auth === 'none' ? 'no password needed' : 'the credentials were accepted') : 'the credentials were not checked'}${cert ? `, certificate ${cert.verified ? 'verified' : `not verified (${cert.verifyError}): insecureTls, or ca with its certificate`}` : ''}${f.name !== undefined ? `, desktop "${f.name}"` : ''}`,
    });
  }
  return out;
}

function atenConsoles(o: ProbeOptions, findings: readonly Finding[], web: WebTls): Suggestion[] {
  const tcp = factsOf<Extract<RfbPortFacts, { kind: 'aten' }>>(findings, 'aten');
  const wrapped = factsOf<Extract<RfbPortFacts, { kind: 'tls-wrapped' }>>(findings, 'tls-wrapped');
  const sm = factsOf<SupermicroWebFacts>(findings, 'supermicro-web')[0];
  const tcpOn = (port: number) => tcp.find((t) => t.port === port);
  const base = {
    type: 'aten',
    host: o.host,
    user: o.user ?? null,
    password: null,
    ...(o.webPort !== 443 ? { webPort: o.webPort } : {}),
    ...tlsKeys(web.tls),
  };
  const out: Suggestion[] = [];
  if (sm?.login === 'ok') {
    const j = sm.jnlp && !('error' in sm.jnlp) ? sm.jnlp : undefined;
    const html5Works = sm.html5?.banner !== undefined;
    if (j && !j.tls && tcpOn(j.kvmPort)) {
      out.push({
        block: 'console',
        confidence: 'verified',
        config: { ...base, transport: 'tcp' },
        because: `web login OK, the JNLP names KVM port ${j.kvmPort}, where ATEN answers${html5Works ? ' (the HTML5 console answers too: transport html5 or auto would also do)' : ''}`,
      });
    } else if (j?.tls && j.plaintextPort && tcpOn(j.plaintextPort)) {
      out.push({
        block: 'console',
        confidence: 'verified',
        config: { ...base, transport: 'tcp', kvmPort: j.plaintextPort },
        because: `web login OK; the JNLP asks for mutual TLS on ${j.kvmPort} ("KVM SSL"), and plain ATEN answers on ${j.plaintextPort}`,
      });
    }
    if (html5Works) {
      out.push({
        block: 'console',
        confidence: 'verified',
        config: { ...base, transport: 'html5' },
        because: `web login OK; the HTML5 bootstrap page has a ticket and its WebSocket sent ${JSON.stringify(sm.html5.banner)}`,
      });
    }
    if (out.length === 0 && j && !j.tls) {
      out.push({
        block: 'console',
        confidence: 'seen',
        config: { ...base, transport: 'tcp' },
        because: `web login OK and a JNLP naming KVM port ${j.kvmPort}, but ATEN was not seen answering there (was that port probed?)`,
      });
    }
    if (out.length > 0) return out;
    // Logged in, but neither console proved itself: what the KVM ports showed, below.
  }
  for (const t of tcp) {
    // Another port of this BMC is TLS-only ("KVM SSL" on 5900): the JNLP will name that one, so the plain port must be given.
    const ssl = wrapped.some((w) => w.port !== t.port);
    out.push({
      block: 'console',
      confidence: 'seen',
      config: { ...base, transport: 'tcp', ...(ssl ? { kvmPort: t.port } : {}) },
      because: `ATEN iKVM answers on tcp/${t.port}${ssl ? ` (tcp/${wrapped[0]!.port} is TLS-only: "KVM SSL")` : ''}; the web login was ${sm?.notTried ? `not tried (${sm.notTried})` : sm?.login ? sm.login : 'not tried'}`,
    });
  }
  if (out.length === 0 && sm && sm.login === undefined) {
    out.push({
      block: 'console',
      confidence: 'guess',
      config: { ...base, transport: 'auto' },
      because: `a Supermicro web interface, but no ATEN KVM port answered: likely the HTML5 console (auto tries it, then the Java port); ${sm.notTried ?? ''}`,
    });
  }
  return out;
}

function ipmiBlocks(o: ProbeOptions, findings: readonly Finding[]): Suggestion[] {
  const f = factsOf<IpmiFacts>(findings, 'ipmi')[0];
  if (!f?.supportsIpmi20) return [];
  const s = f.session;
  return [
    {
      block: 'ipmi',
      confidence: s ? 'verified' : 'seen',
      config: {
        host: o.host,
        ...(o.ipmiPort !== 623 ? { port: o.ipmiPort } : {}),
        user: o.user ?? null,
        password: null,
        ...(s && s.privilege !== 'ADMINISTRATOR' ? { privilege: s.privilege } : {}),
      },
      because: s
        ? `RMCP+ session with cipher suite ${s.cipherSuite} as ${s.privilege}${s.device.manufacturer ? ` (${s.device.manufacturer} BMC)` : ''}`
        : `IPMI 2.0 (RMCP+) answers${f.kgSet ? '; the BMC has a Kg: add kg' : ''}; the credentials were not checked`,
    },
  ];
}

function redfishBlocks(o: ProbeOptions, findings: readonly Finding[], web: WebTls): Suggestion[] {
  const root = factsOf<RedfishRootFacts>(findings, 'redfish')[0];
  if (!root?.systems) return [];
  const sys = factsOf<RedfishSystemFacts>(findings, 'redfish-system')[0];
  // A refused login, a system that cannot be read or has no Reset action: nothing to suggest (the finding says why).
  if (sys && (sys.login !== 'ok' || sys.error !== undefined || sys.canReset === false)) return [];
  const verified = sys?.login === 'ok' && sys.canReset === true;
  const many = sys?.systems && sys.systems.length > 1;
  return [
    {
      block: 'redfish',
      confidence: verified ? 'verified' : 'seen',
      config: {
        host: o.host,
        ...(o.webPort !== 443 ? { port: o.webPort } : {}),
        user: o.user ?? null,
        password: null,
        ...(web.tls && !web.tls.verified ? { insecureTls: true } : {}),
        ...(many ? { system: sys.systems[0] } : {}),
      },
      because: verified
        ? `Redfish ${root.redfishVersion ?? ''} (${root.vendor ?? (root.bmcweb ? 'bmcweb' : 'vendor not named')}): logged in (${sys.auth}), ${sys.systems![0]} has ComputerSystem.Reset${many ? `; ${sys.systems.length} systems: choose with system` : ''}`
        : `Redfish ${root.redfishVersion ?? ''} service root with a Systems collection${root.vendor ? ` (${root.vendor})` : ''}; the credentials were not checked`,
    },
  ];
}
