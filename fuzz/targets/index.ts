import type { FuzzTarget } from '../types.js';
import { api } from './api.js';
import { ast2100, atenBmcStream, hermon } from './aten.js';
import { config } from './config.js';
import { dispatch } from './dispatch.js';
import { fbs } from './fbs.js';
import { ipmi } from './ipmi.js';
import { pcap } from './pcap.js';
import { rfbBmcStream, rfbBrowserStream } from './rfb.js';

/**
 * Every fuzz target, by name. To add one: write `fuzz/targets/<name>.ts` exporting a FuzzTarget
 * (seeds, run, expected; see fuzz/types.ts and docs/fuzzing.md) and add it here.
 */
export const TARGETS: readonly FuzzTarget[] = [rfbBmcStream, rfbBrowserStream, atenBmcStream, ast2100, hermon, ipmi, fbs, pcap, config, api, dispatch];
