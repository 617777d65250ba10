import type { SessionEndCode } from '../../../src/api/api-types.js';
import { pickLanguage, translate, type Params } from './i18n-core.js';
import type { Lang, MessageKey } from './messages.js';

/** The page's language, from the browser's (navigator.languages), and the page's translated texts. */
export const lang: Lang = pickLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);

export function t(key: MessageKey, params?: Params): string {
  return translate(lang, key, params);
}

/**
 * Translates the page's static HTML: `data-i18n="key"` sets an element's text, `data-i18n-title`,
 * `data-i18n-label` (aria-label) and `data-i18n-placeholder` its attributes; `<html lang>` follows.
 */
export function translatePage(root: ParentNode = document): void {
  document.documentElement.lang = lang;
  for (const e of root.querySelectorAll<HTMLElement>('[data-i18n]')) e.textContent = t(e.dataset.i18n as MessageKey);
  for (const e of root.querySelectorAll<HTMLElement>('[data-i18n-title]')) e.title = t(e.dataset.i18nTitle as MessageKey);
  for (const e of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel as MessageKey));
  for (const e of root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) e.placeholder = t(e.dataset.i18nPlaceholder as MessageKey);
}

const END_KEYS: Record<SessionEndCode, MessageKey> = {
  idle: 'end.idle',
  'input-idle': 'end.inputIdle',
  lifetime: 'end.lifetime',
  api: 'end.api',
  'bmc-unreachable': 'end.bmcUnreachable',
  shutdown: 'end.shutdown',
  'config-changed': 'end.configChanged',
  'worker-crash': 'end.workerCrash',
};

/**
 * Why a session ended, for people: in English the gateway's own sentence (it has the details:
 * durations, who ended it); in other languages the translated reason, plus the BMC's own words when
 * the BMC failed (they are the BMC's, and say what to fix).
 */
export function endReasonText(code: SessionEndCode | null, reason: string | null): string {
  if (lang === 'en' && reason) return reason;
  if (!code) return reason ?? t('end.ended');
  const text = t(END_KEYS[code]);
  return code === 'bmc-unreachable' && reason ? `${text} (${reason})` : text;
}

/** A reason the gateway gave with no code (a refused connection): English as it is, otherwise inside a translated frame. */
export function gatewayReasonText(reason: string): string {
  return lang === 'en' ? reason : t('end.refused', { detail: reason });
}
