import { buildWeb, webBuildIsCurrent } from '../web/build.js';

/**
 * Before any test: the browser pages are built from the current web/ sources (the gateway serves
 * dist/public/, which `npm run build` writes), so a test never runs against a stale bundle. Builds
 * only when a source changed since the last build.
 */
export default async function setup(): Promise<void> {
  if (!webBuildIsCurrent()) await buildWeb();
}
