import { describe, expect, it } from 'vitest';
import { messageParams, pickLanguage, translate } from '../../../web/src/common/i18n-core.js';
import { CATALOGUES, type MessageKey } from '../../../web/src/common/messages.js';

describe("the pages' message catalogue", () => {
  it('has every English message in Russian with the same parameters', () => {
    const en = CATALOGUES.en;
    const ru = CATALOGUES.ru;
    expect(Object.keys(ru).sort()).toEqual(Object.keys(en).sort());
    for (const k of Object.keys(en) as MessageKey[]) {
      expect(messageParams(ru[k]), k).toEqual(messageParams(en[k]));
      expect(typeof ru[k], k).toBe(typeof en[k]);
    }
  });

  it('picks the first browser language it has, by primary subtag, else English', () => {
    expect(pickLanguage(['ru-RU', 'en-US'])).toBe('ru');
    expect(pickLanguage(['de-DE', 'RU', 'en'])).toBe('ru');
    expect(pickLanguage(['en-GB', 'ru'])).toBe('en');
    expect(pickLanguage(['fr-FR'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('fills parameters and picks Russian plural forms', () => {
    expect(translate('en', 'console.closed', { reason: 'x' })).toBe('The console is closed: x');
    expect(translate('en', 'dash.viewers', { n: 1 })).toBe('1 viewer');
    expect(translate('en', 'dash.viewers', { n: 2 })).toBe('2 viewers');
    expect(translate('ru', 'dash.viewers', { n: 1 })).toBe('1 зритель');
    expect(translate('ru', 'dash.viewers', { n: 3 })).toBe('3 зрителя');
    expect(translate('ru', 'dash.viewers', { n: 5 })).toBe('5 зрителей');
    expect(translate('ru', 'dash.viewers', { n: 21 })).toBe('21 зритель');
    expect(translate('ru', 'dash.liveCount', { n: 11 })).toBe('11 открытых консолей');
  });
});
