import { en } from './messages-en.js';
import { ru } from './messages-ru.js';

/**
 * The pages' texts in English and Russian. A message is a string with `{name}` parameters, or plural
 * forms chosen by Intl.PluralRules from `{n}`. The Russian catalogue must have every English key in
 * the same form (the type says so) and the same parameters (a unit test says so).
 */

export type Lang = 'en' | 'ru';

/** Plural forms as Intl.PluralRules names them (English uses one/other, Russian one/few/many/other). */
export interface Plural {
  one?: string;
  few?: string;
  many?: string;
  other: string;
}

export type MessageKey = keyof typeof en;
export type Catalogue = { [K in MessageKey]: (typeof en)[K] extends string ? string : Plural };

export const CATALOGUES: Readonly<Record<Lang, Catalogue>> = { en, ru };
