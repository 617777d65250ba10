import { isIP } from 'node:net';
import { GatewayError } from '../errors.js';
import type { MediaConfig } from './redfish-config.js';

/**
 * An image URL a caller wants the BMC to mount, checked before anything is sent: the BMC fetches
 * it from inside the management network, so only hosts on `media.allow` are accepted (otherwise a
 * caller could make the BMC fetch from anywhere it can reach).
 */
export interface CheckedMediaUrl {
  readonly url: string;
  /** VirtualMedia v1 `TransferProtocolType` for the URL's scheme. */
  readonly transferProtocolType: string;
  /** The URL without query and fragment (which may carry a signed token): for audit lines and answers. */
  readonly shown: string;
}

/** URL schemes → VirtualMedia v1 TransferProtocolType. */
export const TRANSFER_PROTOCOL_FOR: Readonly<Record<string, string>> = Object.freeze({
  'http:': 'HTTP',
  'https:': 'HTTPS',
  'nfs:': 'NFS',
  'cifs:': 'CIFS',
  'smb:': 'CIFS',
  'ftp:': 'FTP',
  'sftp:': 'SFTP',
  'tftp:': 'TFTP',
  'scp:': 'SCP',
});

const MAX_URL_CHARS = 2048;

export function checkMediaUrl(raw: string, media: MediaConfig | undefined): CheckedMediaUrl {
  if (raw.length > MAX_URL_CHARS) throw new GatewayError('GW_ERR_BAD_REQUEST', `"url" is longer than ${MAX_URL_CHARS} characters`);
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new GatewayError('GW_ERR_BAD_REQUEST', '"url" is not an absolute URL (e.g. https://images.example/debian.iso)');
  }
  const proto = TRANSFER_PROTOCOL_FOR[u.protocol];
  if (!proto)
    throw new GatewayError('GW_ERR_BAD_REQUEST', `"url" scheme ${u.protocol} is not one a BMC mounts from (${Object.keys(TRANSFER_PROTOCOL_FOR).join(' ')})`);
  if (u.username || u.password) {
    throw new GatewayError('GW_ERR_BAD_REQUEST', '"url" must not carry a user or password: it would be stored on the BMC and shown in its web interface');
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (!host) throw new GatewayError('GW_ERR_BAD_REQUEST', '"url" has no host');
  const shown = `${u.protocol}//${u.host}${u.pathname}`;
  if (!hostAllowed(host, media?.allow ?? [])) {
    throw new GatewayError(
      'GW_ERR_MEDIA_URL_NOT_ALLOWED',
      media?.allow.length
        ? `images may only come from ${media.allow.join(', ')} (media.allow); "${host}" is not one of them`
        : 'no image host is allowed: the gateway has no media.allow list',
    );
  }
  return { url: u.href, transferProtocolType: proto, shown };
}

/** Exact match (names case-insensitively, addresses as written), or `*.domain` for names under domain. */
export function hostAllowed(host: string, allow: readonly string[]): boolean {
  for (const entry of allow) {
    if (entry === host) return true;
    if (entry.startsWith('*.') && isIP(host) === 0 && host.endsWith(entry.slice(1)) && host.length > entry.length - 1) return true;
  }
  return false;
}
