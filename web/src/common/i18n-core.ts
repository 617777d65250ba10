import type { SessionEndCode } from '../../../src/api/api-types.js';
import { CATALOGUES, type Lang, type MessageKey, type Plural } from './messages.js';

/**
 * The pages' own small message catalogue (English and Russian; web/src/common/messages.ts), with
 * `{name}` parameters and plural forms by Intl.PluralRules. No DOM here, so tests can use it.
 */

export type Params = Record<string, string | number>;

/** The first of the browser's languages we have (by primary subtag), else English. */
export function pickLanguage(languages: readonly string[]): Lang {
  for (const l of languages) {
    const primary = l.toLowerCase().split('-')[0];
    if (primary === 'ru' || primary === 'en') return primary;
  }
  return 'en';
}

const pluralRules = new Map<Lang, Intl.PluralRules>();

/** The message `key` in `lang` with its parameters filled in; a plural message picks its form by `params.n`. */
export function translate(lang: Lang, key: MessageKey, params: Params = {}): string {
  const m: string | Plural = CATALOGUES[lang][key];
  let text: string;
  if (typeof m === 'string') {
    text = m;
  } else {
    let rules = pluralRules.get(lang);
    if (!rules) pluralRules.set(lang, (rules = new Intl.PluralRules(lang)));
    const form = rules.select(Number(params.n ?? 0)) as keyof Plural;
    text = m[form] ?? m.other;
  }
  return text.replace(/\{(\w+)\}/g, (all, name: string) => (params[name] === undefined ? all : String(params[name])));
}

/** The `{name}` parameters a message uses (every form of a plural one). */
export function messageParams(m: string | Plural): string[] {
  const texts: string[] = typeof m === 'string' ? [m] : Object.values(m).filter((v): v is string => v !== undefined);
  return [...new Set(texts.flatMap((t) => [...t.matchAll(/\{(\w+)\}/g)].map((x) => x[1]!)))].sort();
}

const END_KEYS: Record<SessionEndCode, MessageKey> = {
  idle: 'end.idle',
  'input-idle': 'end.inputIdle',
  lifetime: 'end.lifetime',
  api: 'end.api',
  'bmc-unreachable': 'end.bmcUnreachable',
  'viewer-exited': 'end.viewerExited',
  shutdown: 'end.shutdown',
  'config-changed': 'end.configChanged',
  'worker-crash': 'end.workerCrash',
};

/**
 * Why a session ended, for people: in English the gateway's own sentence (it has the details:
 * durations, who ended it); in other languages the translated reason, plus the gateway's details
 * when the BMC failed or the Java viewer exited (the BMC's own words, the viewer's exit code: they
 * say what to fix).
 */
export function endReason(lang: Lang, code: SessionEndCode | null, reason: string | null): string {
  if (lang === 'en' && reason) return reason;
  if (!code) return reason ?? translate(lang, 'end.ended');
  const text = translate(lang, END_KEYS[code]);
  return (code === 'bmc-unreachable' || code === 'viewer-exited') && reason ? `${text} (${reason})` : text;
}
