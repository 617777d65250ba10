import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { cipherSuite, type CipherSuite } from '../../protocols/ipmi/cipher-suites.js';
import { AppCmd, ChassisCmd, NetFn, PayloadType } from '../../protocols/ipmi/constants.js';
import { deriveSessionKeys, passwordKey } from '../../protocols/ipmi/keys.js';
import { decodeIpmiRequest, encodeIpmiResponse, type IpmiRequest } from '../../protocols/ipmi/message.js';
import {
  decodeOpenSessionRequest,
  decodeRakp1,
  decodeRakp3,
  encodeOpenSessionResponse,
  encodeRakp2,
  encodeRakp4,
  rakp2AuthCode,
  rakp3AuthCode,
  rakp4Icv,
  safeEqual,
  type RakpContext,
} from '../../protocols/ipmi/rakp.js';
import { decodeRmcpPacket, encodeV15Packet, encodeV20Packet } from '../../protocols/ipmi/rmcp-packet.js';
import { SessionCodec } from '../../protocols/ipmi/session-codec.js';
import { SolEngine } from '../../protocols/ipmi/sol-engine.js';
import { decodeSolPacket, encodeActivatePayloadResponse, encodeSolPacket } from '../../protocols/ipmi/sol-packet.js';

/**
 * A small simulated BMC on loopback: the demo's power, boot device and serial console (`npm start`
 * without a config, src/demo/demo.ts), and the tests' BMC for cipher suite 17, which ipmi_sim lacks
 * (notes §4.2). It speaks just what a fence agent and a SOL console need: auth caps, Open Session,
 * RAKP 1–4, Set Session Privilege, Get Device ID, Close Session, chassis status/control, boot flags,
 * Activate/Deactivate Payload and SOL. It is built on protocols/ipmi, so it is checked against
 * `ipmitool -I lanplus -C 17` (an independent implementation: test/integration/ipmi/responder-suite17.test.ts)
 * before our client is tested against it. The gateway only ever reaches it as a peer over UDP, through
 * its real IPMI client; nothing in the gateway's own code paths imports this file.
 *
 * It moved here from test/helpers (which re-exports it) so the demo does not duplicate it; the
 * fault injection below is for the tests and stays off in the demo.
 */

/** What runs behind the SOL payload: gets the characters typed, writes characters back. */
export interface SerialConsole {
  input(bytes: Buffer): void;
  close(): void;
}

export interface ResponderOptions {
  readonly user: string;
  readonly password: string;
  /** Suites it accepts; others get Open Session status 0x04 / 0x11. */
  readonly suites?: readonly number[];
  /** A BMC key: announced in auth caps, keys SIK instead of the password (IPMI v2.0 §13.31). */
  readonly kg?: Buffer;
  /**
   * The user's highest privilege (2 USER, 3 OPERATOR, 4 ADMINISTRATOR; default 4): a RAKP1 asking for
   * more gets RAKP2 status 0x0A "unauthorized role or privilege level requested" (§13.20, table
   * 13-15), as real BMCs answer. ipmi_sim grants whatever is asked.
   */
  readonly maxPrivilege?: number;
  /**
   * Started at each SOL activation (`write` sends characters to the console) and closed at
   * deactivation; without it the SOL payload only records what was typed (solReceived()).
   */
  readonly serial?: (write: (bytes: Buffer) => void) => SerialConsole;
}

/** Fault injection for session-behaviour tests; change the fields while the responder runs. */
export interface ResponderFaults {
  /** Ignore this many of the next authenticated IPMI requests (counts down). */
  dropRequests: number;
  /** Probability of dropping each SOL packet, either direction. */
  solLoss: number;
  /** Accept Chassis Control but leave the power state as it is (a stuck power supply). */
  powerStuck: boolean;
  /** Characters sent to the console right after SOL activation, before the Activate Payload reply. */
  solBanner: Buffer | null;
}

export interface ChassisState {
  power: boolean;
  lastControl: number | null;
  bootFlags: string | null;
}

export interface IpmiResponder {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Requests seen, in words: "chassis control 1", "boot 0580040000 00", "sol activate", … */
  readonly log: string[];
  /** The simulated chassis: power, the last Chassis Control's data byte, the last boot flags set (hex). */
  readonly state: ChassisState;
  readonly faults: ResponderFaults;
  /** Sends raw bytes to the console of the most recent session (forged / replayed datagrams). */
  sendRaw(datagram: Buffer): void;
  /** The last datagram sent to a console, for replay tests. */
  lastSent(): Buffer | null;
  /** Characters the console of the current (or last) SOL activation sent, in order, duplicates removed. */
  solReceived(): Buffer;
  /** Sends characters to the SOL console (when one is active). */
  solWrite(bytes: Buffer): void;
  solActive(): boolean;
  stop(): Promise<void>;
}

const GUID = Buffer.from('a123456789abcdefa123456789abcdef', 'hex');

interface Pending {
  suite: CipherSuite;
  sidm: number;
  sidc: number;
  tag: number;
  rm?: Buffer;
  rc?: Buffer;
  role?: number;
  userName?: Buffer;
}

interface Active {
  codec: SessionCodec;
  rinfo: RemoteInfo;
  sol: SolEngine | null;
  solTimer: NodeJS.Timeout | null;
  serial: SerialConsole | null;
}

export async function startIpmiResponder(o: ResponderOptions): Promise<IpmiResponder> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const accepted = new Set(o.suites ?? [3, 17]);
  const kuid = passwordKey(o.password);
  const log: string[] = [];
  const state: ChassisState = { power: false, lastControl: null, bootFlags: null };
  const pending = new Map<number, Pending>(); // by SIDc
  const sessions = new Map<number, Active>(); // by SIDc
  const solIn: Buffer[] = [];
  const faults: ResponderFaults = { dropRequests: 0, solLoss: 0, powerStuck: false, solBanner: null };
  let last: { buf: Buffer; r: RemoteInfo } | null = null;
  const send = (buf: Buffer, r: RemoteInfo) => {
    last = { buf, r };
    socket.send(buf, r.port, r.address);
  };
  const sendSol = (a: Active, p: Buffer) => {
    if (faults.solLoss > 0 && Math.random() < faults.solLoss) return;
    send(a.codec.seal(PayloadType.SOL, p), a.rinfo);
  };
  const setup = (type: number, payload: Buffer, r: RemoteInfo) =>
    send(encodeV20Packet({ payloadType: type, encrypted: false, sessionId: 0, sessionSeq: 0, payload }), r);

  function solPump(a: Active): void {
    if (!a.sol) return;
    const p = a.sol.next();
    if (p) sendSol(a, encodeSolPacket(p));
    if (a.sol.busy && !a.solTimer) {
      a.solTimer = setTimeout(() => {
        a.solTimer = null;
        if (!a.sol) return;
        try {
          const r = a.sol.tick();
          if (r) sendSol(a, encodeSolPacket(r));
        } catch {
          a.sol = null;
          return;
        }
        solPump(a);
      }, 200);
    }
  }

  function respond(a: Active, req: IpmiRequest, cc: number, data: Uint8Array = Buffer.alloc(0)): void {
    const msg = encodeIpmiResponse({ netFn: req.netFn + 1, cmd: req.cmd, rqSeq: req.rqSeq, completionCode: cc, data });
    send(a.codec.seal(PayloadType.IPMI, msg), a.rinfo);
  }

  function onRequest(a: Active, sidc: number, req: IpmiRequest): void {
    const { netFn, cmd, data } = req;
    if (netFn === NetFn.APP && cmd === AppCmd.SET_SESSION_PRIVILEGE_LEVEL) return respond(a, req, 0, Buffer.of(data[0] || 4));
    if (netFn === NetFn.APP && cmd === AppCmd.GET_DEVICE_ID) {
      log.push('get device id');
      return respond(a, req, 0, Buffer.from('20018102000200000000000000000000', 'hex').subarray(0, 15));
    }
    if (netFn === NetFn.APP && cmd === AppCmd.CLOSE_SESSION) {
      log.push('close session');
      respond(a, req, 0);
      if (a.solTimer) clearTimeout(a.solTimer);
      a.serial?.close();
      a.serial = null;
      sessions.delete(sidc);
      return;
    }
    if (netFn === NetFn.CHASSIS && cmd === ChassisCmd.GET_CHASSIS_STATUS) return respond(a, req, 0, Buffer.of(state.power ? 1 : 0, 0, 0, 0));
    if (netFn === NetFn.CHASSIS && cmd === ChassisCmd.CHASSIS_CONTROL) {
      log.push(`chassis control ${data[0]}`);
      state.lastControl = data[0] ?? null;
      if (data[0] === 1 && !faults.powerStuck) state.power = true;
      if ((data[0] === 0 || data[0] === 5) && !faults.powerStuck) state.power = false;
      return respond(a, req, 0);
    }
    if (netFn === NetFn.CHASSIS && cmd === ChassisCmd.SET_SYSTEM_BOOT_OPTIONS) {
      log.push(`boot ${Buffer.from(data).toString('hex')}`);
      state.bootFlags = Buffer.from(data).toString('hex');
      return respond(a, req, 0);
    }
    if (netFn === NetFn.APP && cmd === AppCmd.ACTIVATE_PAYLOAD && data[0] === 1) {
      if ([...sessions.values()].some((s) => s.sol)) return respond(a, req, 0x80);
      log.push('sol activate');
      solIn.length = 0; // solReceived() is per activation
      a.sol = new SolEngine({ maxCharsPerPacket: 200 });
      if (faults.solBanner) {
        a.sol.write(faults.solBanner);
        solPump(a);
      }
      if (o.serial) {
        a.serial = o.serial((bytes) => {
          if (!a.sol) return;
          a.sol.write(bytes);
          solPump(a);
        });
      }
      return respond(a, req, 0, encodeActivatePayloadResponse({ inboundPayloadSize: 204, outboundPayloadSize: 204, port, vlan: null }));
    }
    if (netFn === NetFn.APP && cmd === AppCmd.DEACTIVATE_PAYLOAD && data[0] === 1) {
      log.push('sol deactivate');
      const any = [...sessions.values()].find((s) => s.sol);
      if (!any) return respond(a, req, 0x80);
      any.sol = null;
      any.serial?.close();
      any.serial = null;
      return respond(a, req, 0);
    }
    log.push(`unsupported netFn 0x${netFn.toString(16)} cmd 0x${cmd.toString(16)}`);
    return respond(a, req, 0xc1);
  }

  socket.on('message', (dg, rinfo) => {
    try {
      // The session ID decides which suite's trailer length to expect, so read it before framing.
      const sid = dg.length >= 10 && dg[4] === 6 ? dg.readUInt32LE(6) : 0;
      if (sid !== 0) {
        const a = sessions.get(sid);
        if (!a) return;
        const opened = a.codec.open(dg);
        if (opened.payloadType === PayloadType.IPMI) {
          if (faults.dropRequests > 0) {
            faults.dropRequests--;
            log.push('dropped request');
            return;
          }
          return onRequest(a, sid, decodeIpmiRequest(opened.payload));
        }
        if (opened.payloadType === PayloadType.SOL && a.sol) {
          if (faults.solLoss > 0 && Math.random() < faults.solLoss) return;
          const solPacket = decodeSolPacket(opened.payload);
          if ((solPacket.control & 0x10) !== 0) log.push('sol break');
          const r = a.sol.receive(solPacket);
          if (r.data) {
            solIn.push(Buffer.from(r.data));
            a.serial?.input(Buffer.from(r.data));
          }
          if (r.ack) sendSol(a, encodeSolPacket(r.ack));
          if (r.answered && a.solTimer) {
            clearTimeout(a.solTimer);
            a.solTimer = null;
          }
          solPump(a);
        }
        return;
      }
      const first = decodeRmcpPacket(dg, 0);
      if (first.type === 'v15') {
        const req = decodeIpmiRequest(first.message);
        if (req.netFn === NetFn.APP && req.cmd === AppCmd.GET_CHANNEL_AUTH_CAPABILITIES) {
          // Channel 1; v2.0 extended data + MD5/none listed; non-null user names; IPMI v2.0 supported.
          const data = Buffer.of(0x01, 0x80 | 0x04 | 0x01, 0x04 | (o.kg ? 0x20 : 0), 0x02, 0, 0, 0, 0);
          send(encodeV15Packet(encodeIpmiResponse({ netFn: req.netFn + 1, cmd: req.cmd, rqSeq: req.rqSeq, completionCode: 0, data })), rinfo);
        }
        return;
      }
      switch (first.payloadType) {
        case PayloadType.OPEN_SESSION_REQUEST: {
          const req = decodeOpenSessionRequest(first.payload);
          const suite = [...accepted]
            .map((id) => cipherSuite(id, true))
            .find(
              (s) =>
                s.authAlgorithm === req.authAlgorithm &&
                s.integrityAlgorithm === req.integrityAlgorithm &&
                s.confidentialityAlgorithm === req.confidentialityAlgorithm,
            );
          if (!suite) {
            setup(
              PayloadType.OPEN_SESSION_RESPONSE,
              encodeOpenSessionResponse({
                tag: req.tag,
                status: 0x11,
                maxPrivilege: 0,
                consoleSessionId: req.consoleSessionId,
                bmcSessionId: 0,
                authAlgorithm: 0,
                integrityAlgorithm: 0,
                confidentialityAlgorithm: 0,
              }),
              rinfo,
            );
            return;
          }
          const sidc = (randomBytes(4).readUInt32LE(0) | 1) >>> 0;
          pending.set(sidc, { suite, sidm: req.consoleSessionId, sidc, tag: req.tag });
          setup(
            PayloadType.OPEN_SESSION_RESPONSE,
            encodeOpenSessionResponse({
              tag: req.tag,
              status: 0,
              maxPrivilege: req.maxPrivilege || 4,
              consoleSessionId: req.consoleSessionId,
              bmcSessionId: sidc,
              authAlgorithm: suite.authAlgorithm,
              integrityAlgorithm: suite.integrityAlgorithm,
              confidentialityAlgorithm: suite.confidentialityAlgorithm,
            }),
            rinfo,
          );
          return;
        }
        case PayloadType.RAKP1: {
          const m = decodeRakp1(first.payload);
          const p = pending.get(m.bmcSessionId);
          if (!p) return;
          const rakp2 = (status: number, code: Buffer = Buffer.alloc(0), rc: Buffer = Buffer.alloc(16)) =>
            setup(PayloadType.RAKP2, encodeRakp2({ tag: m.tag, status, consoleSessionId: p.sidm, rc, bmcGuid: GUID, keyExchangeAuthCode: code }), rinfo);
          if (m.userName.toString() !== o.user) return rakp2(0x0d);
          if ((m.role & 0x0f) > (o.maxPrivilege ?? 4)) return rakp2(0x0a);
          Object.assign(p, { rm: Buffer.from(m.rm), rc: randomBytes(16), role: m.role, userName: Buffer.from(m.userName) });
          const ctx = contextOf(p);
          return rakp2(0, rakp2AuthCode(ctx, kuid), p.rc);
        }
        case PayloadType.RAKP3: {
          const p = pending.get(first.payload.length >= 8 ? first.payload.readUInt32LE(4) : 0);
          if (!p || !p.rm) return;
          const m = decodeRakp3(first.payload, p.suite.keyExchangeAuthCodeLength);
          const ctx = contextOf(p);
          const rakp4 = (status: number, icv: Buffer = Buffer.alloc(0)) =>
            setup(PayloadType.RAKP4, encodeRakp4({ tag: m.tag, status, consoleSessionId: p.sidm, integrityCheckValue: icv }), rinfo);
          if (!safeEqual(rakp3AuthCode(ctx, kuid), m.keyExchangeAuthCode)) {
            pending.delete(p.sidc);
            return rakp4(0x0f);
          }
          const keys = deriveSessionKeys(p.suite, { key: o.kg ?? kuid, rm: p.rm, rc: p.rc!, role: p.role!, userName: p.userName! });
          pending.delete(p.sidc);
          sessions.set(p.sidc, {
            codec: new SessionCodec({ suite: p.suite, keys, outboundSessionId: p.sidm, inboundSessionId: p.sidc }),
            rinfo,
            sol: null,
            solTimer: null,
            serial: null,
          });
          log.push(`session open suite ${p.suite.id}`);
          return rakp4(0, rakp4Icv(ctx, keys.sik));
        }
        default:
          return;
      }
    } catch (err) {
      log.push(`error ${(err as Error).message}`);
    }
  });

  return {
    host: '127.0.0.1',
    port,
    log,
    state,
    faults,
    sendRaw: (datagram) => {
      const r = [...sessions.values()].at(-1)?.rinfo;
      if (r) socket.send(datagram, r.port, r.address);
    },
    lastSent: () => (last ? Buffer.from((last as { buf: Buffer }).buf) : null),
    solReceived: () => Buffer.concat(solIn),
    solWrite: (bytes) => {
      const a = [...sessions.values()].find((s) => s.sol);
      if (!a?.sol) throw new Error('no active SOL');
      a.sol.write(bytes);
      solPump(a);
    },
    solActive: () => [...sessions.values()].some((s) => s.sol),
    stop: async () => {
      for (const a of sessions.values()) {
        if (a.solTimer) clearTimeout(a.solTimer);
        a.serial?.close();
      }
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

function contextOf(p: Pending): RakpContext {
  return { suite: p.suite, consoleSessionId: p.sidm, bmcSessionId: p.sidc, rm: p.rm!, rc: p.rc!, bmcGuid: GUID, role: p.role!, userName: p.userName! };
}
