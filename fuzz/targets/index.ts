import type { FuzzTarget } from '../types.js';
import { api } from './api.js';
import { atenHtml5 } from './aten-html5.js';
import { ast2100, atenBmcStream, hermon } from './aten.js';
import { config } from './config.js';
import { deferredPaints } from './deferred-paints.js';
import { dispatch } from './dispatch.js';
import { fbs } from './fbs.js';
import { ipmi } from './ipmi.js';
import { bmcwebLogin, probe } from './loopback.js';
import { jar, jnlp } from './java.js';
import { pcap } from './pcap.js';
import { rfbPixelFormat, tightJpeg } from './pixels.js';
import { redfishJson } from './redfish.js';
import { rfbSecurity } from './rfb-security.js';
import { rfbBmcStream, rfbBrowserStream } from './rfb.js';

/**
 * Every fuzz target, by name. To add one: write `fuzz/targets/<name>.ts` exporting a FuzzTarget
 * (seeds, run, expected; see fuzz/types.ts and docs/fuzzing.md) and add it here.
 */
export const TARGETS: readonly FuzzTarget[] = [
  rfbBmcStream,
  rfbBrowserStream,
  atenBmcStream,
  ast2100,
  hermon,
  ipmi,
  fbs,
  pcap,
  config,
  api,
  dispatch,
  rfbSecurity,
  rfbPixelFormat,
  tightJpeg,
  deferredPaints,
  atenHtml5,
  jnlp,
  jar,
  redfishJson,
  bmcwebLogin,
  probe,
];
