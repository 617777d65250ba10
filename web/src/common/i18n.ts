import type { SessionEndCode } from '../../../src/api/api-types.js';
import { endReason, pickLanguage, translate, type Params } from './i18n-core.js';
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

/** Why a session ended, for people, in the page's language (see endReason). */
export function endReasonText(code: SessionEndCode | null, reason: string | null): string {
  return endReason(lang, code, reason);
}

/** A reason the gateway gave with no code (a refused connection): English as it is, otherwise inside a translated frame. */
export function gatewayReasonText(reason: string): string {
  return lang === 'en' ? reason : t('end.refused', { detail: reason });
}
