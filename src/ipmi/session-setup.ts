import { IpmiError } from '../../protocols/errors.js';
import { decodeChannelAuthCaps, encodeGetChannelAuthCapsData, type ChannelAuthCaps } from '../../protocols/ipmi/channel-auth-caps.js';
import { AppCmd, NetFn } from '../../protocols/ipmi/constants.js';
import { describeCompletionCode } from '../../protocols/ipmi/completion-codes.js';
import { ClientHandshake, type HandshakeStep } from '../../protocols/ipmi/handshake.js';
import { decodeIpmiResponse, encodeIpmiRequest } from '../../protocols/ipmi/message.js';
import { decodeRmcpPacket, encodeV15Packet } from '../../protocols/ipmi/rmcp-packet.js';
import type { ResolvedTarget } from './target.js';
import type { IpmiLogger } from './types.js';
import type { UdpChannel } from './udp-channel.js';

export interface Timing {
  readonly timeoutMs: number;
  readonly retryBackoffMs: number;
  readonly attempts: number;
}

/**
 * Waits for the first datagram `accept` maps to a value. `accept` returns undefined to keep waiting;
 * an IPMI_ERR_STALE_MESSAGE or an undecodable datagram is dropped (UDP: anything may arrive late);
 * any other throw rejects. Resolves null on timeout.
 */
export function waitForDatagram<T>(channel: UdpChannel, timeoutMs: number, accept: (dg: Buffer) => T | undefined, logger: IpmiLogger): Promise<T | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      channel.onDatagram(() => {});
      resolve(null);
    }, timeoutMs);
    channel.onDatagram((dg) => {
      let value: T | undefined;
      try {
        value = accept(dg);
      } catch (err) {
        if (err instanceof IpmiError && (err.code === 'IPMI_ERR_STALE_MESSAGE' || isFramingError(err))) {
          logger.debug({ code: err.code, err: err.message }, 'ipmi: dropped datagram during setup');
          return;
        }
        clearTimeout(timer);
        channel.onDatagram(() => {});
        reject(err);
        return;
      }
      if (value === undefined) return;
      clearTimeout(timer);
      channel.onDatagram(() => {});
      resolve(value);
    });
  });
}

function isFramingError(err: IpmiError): boolean {
  return [
    'IPMI_ERR_TRUNCATED',
    'IPMI_ERR_LENGTH_MISMATCH',
    'IPMI_ERR_BAD_RMCP_HEADER',
    'IPMI_ERR_BAD_AUTH_TYPE',
    'IPMI_ERR_BAD_CHECKSUM',
    'IPMI_ERR_UNEXPECTED_AUTHENTICATION',
  ].includes(err.code);
}

function timeoutError(what: string, r: ResolvedTarget, channel: UdpChannel, attempts: number): IpmiError {
  const why = channel.lastError ? ` (last socket error: ${channel.lastError.message})` : '';
  return new IpmiError('IPMI_ERR_TIMEOUT', `no answer to ${what} from ${r.target.host}:${r.target.port} after ${attempts} tries${why}`, 'timeout');
}

/**
 * Get Channel Authentication Capabilities in IPMI v1.5 framing (notes §1.2): a liveness probe that
 * also tells whether the channel speaks RMCP+ and whether the BMC wants a Kg.
 */
export async function getChannelAuthCaps(channel: UdpChannel, r: ResolvedTarget, t: Timing, logger: IpmiLogger): Promise<ChannelAuthCaps> {
  for (let attempt = 1; attempt <= t.attempts; attempt++) {
    const rqSeq = attempt & 0x3f;
    channel.send(
      encodeV15Packet(
        encodeIpmiRequest({ netFn: NetFn.APP, cmd: AppCmd.GET_CHANNEL_AUTH_CAPABILITIES, rqSeq, data: encodeGetChannelAuthCapsData(r.privilege) }),
      ),
    );
    const caps = await waitForDatagram(
      channel,
      t.timeoutMs + (attempt - 1) * t.retryBackoffMs,
      (dg) => {
        const p = decodeRmcpPacket(dg, 0);
        if (p.type !== 'v15') return undefined;
        const res = decodeIpmiResponse(p.message);
        if (res.cmd !== AppCmd.GET_CHANNEL_AUTH_CAPABILITIES || res.rqSeq !== rqSeq) return undefined;
        // An IPMI v1.5-only BMC may refuse the "v2.0 extended data" bit (§22.13) rather than ignore it.
        if (res.completionCode !== 0) {
          throw new IpmiError(
            'IPMI_ERR_NO_RMCPP',
            `Get Channel Authentication Capabilities (IPMI v2.0 form) answered ${describeCompletionCode(res.completionCode)}: the BMC does not seem to support RMCP+`,
            'channelAuthCaps',
          );
        }
        return decodeChannelAuthCaps(res.data);
      },
      logger,
    );
    if (caps) return caps;
  }
  throw timeoutError('Get Channel Authentication Capabilities', r, channel, t.attempts);
}

export type Established = Extract<HandshakeStep, { type: 'established' }>;

/**
 * Runs Open Session and RAKP 1–4 for each allowed suite in order until one is accepted. On a timeout
 * the whole exchange restarts with a new session ID and tag (ipmitool and FreeIPMI do the same: setup
 * messages are not retransmitted one by one). A suite the BMC refuses moves on to the next suite.
 */
export async function establishSession(channel: UdpChannel, r: ResolvedTarget, t: Timing, logger: IpmiLogger): Promise<Established> {
  let lastRefusal: IpmiError | null = null;
  for (const suite of r.suites) {
    try {
      for (let attempt = 1; attempt <= t.attempts; attempt++) {
        const hs = new ClientHandshake({ suite, userName: r.userName, kuid: r.kuid, kg: r.kg, privilege: r.privilege });
        const wait = t.timeoutMs + (attempt - 1) * t.retryBackoffMs;
        let out: Buffer | null = hs.start();
        while (out) {
          channel.send(out);
          const step: HandshakeStep | null = await waitForDatagram(channel, wait, (dg) => hs.receive(dg), logger);
          if (step === null) break; // timeout: start over
          if (step.type === 'established') {
            logger.debug({ host: r.target.host, cipherSuite: suite.id }, 'ipmi: RMCP+ session established');
            return step;
          }
          out = step.datagram;
        }
      }
      throw timeoutError(`RMCP+ session setup (cipher suite ${suite.id})`, r, channel, t.attempts);
    } catch (err) {
      if (err instanceof IpmiError && err.code === 'IPMI_ERR_CIPHER_SUITE_REJECTED') {
        logger.info({ host: r.target.host, cipherSuite: suite.id, err: err.message }, 'ipmi: BMC refused cipher suite, trying the next');
        lastRefusal = err;
        continue;
      }
      throw err;
    }
  }
  throw lastRefusal ?? new IpmiError('IPMI_ERR_CIPHER_SUITE_REJECTED', 'no cipher suite left to try', 'cipherSuites');
}
