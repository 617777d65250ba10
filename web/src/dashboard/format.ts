import type { ServerSummary } from '../../../src/api/api-types.js';
import { t } from '../common/i18n.js';

/** What a person reads for a server: its name, its id when it has none. */
export function serverLabel(s: Pick<ServerSummary, 'id' | 'name'>): string {
  return s.name ?? s.id;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return t('dash.size.b', { n });
  if (n < 1 << 20) return t('dash.size.kib', { n: (n / 1024).toFixed(1) });
  return t('dash.size.mib', { n: (n / (1 << 20)).toFixed(1) });
}

export function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return t('dash.duration.s', { n: s });
  if (s < 3600) return t('dash.duration.min', { n: Math.floor(s / 60) });
  return t('dash.duration.h', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export function fmtTime(iso: string): string {
  return new Date(iso).toLocaleTimeString();
}
