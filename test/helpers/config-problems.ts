import { expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/reader.js';

/** The problems a config text is refused with (each with its key path); fails the test if it is accepted. */
export function configProblems(text: string, source = 't.yaml'): string[] {
  try {
    parseConfig(text, source);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  throw new Error('config was accepted');
}
