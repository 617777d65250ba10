import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DockerApi } from '../../../src/sources/jnlp/docker-api.js';
import { LABEL_CONTEXT_HASH } from '../../../src/sources/jnlp/docker-runtime.js';
import { JAVA_DEFAULTS } from '../../../src/sources/jnlp/java-config.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
export const DOCKER_SOCKET = JAVA_DEFAULTS.socket;

/**
 * The docker runtime's tests need a Docker engine and the Java viewer image built from this
 * checkout's containers/java-viewer (.ci/run builds it; `npm run build:images` by hand). A missing
 * engine or image, or one built from other files, fails the test saying so: nothing is skipped.
 */
export async function requireJavaImage(image = JAVA_DEFAULTS.image): Promise<void> {
  const api = new DockerApi(DOCKER_SOCKET);
  try {
    try {
      await api.ping();
    } catch (e) {
      throw new Error(
        `the docker runtime's tests need a Docker engine at ${DOCKER_SOCKET} (apt-get install docker.io; .ci/run starts dockerd): ${(e as Error).message}`,
      );
    }
    const labels = await api.imageLabels(image);
    if (labels === undefined) throw new Error(`no image ${image}: build it with npm run build:images (CI: .ci/images)`);
    const want = contextHash(join(ROOT, 'containers', 'java-viewer'));
    if (labels[LABEL_CONTEXT_HASH] !== want) {
      throw new Error(
        `${image} was built from other files than containers/java-viewer (${labels[LABEL_CONTEXT_HASH] ?? 'no hash label'} vs ${want}): rebuild it with npm run build:images`,
      );
    }
  } finally {
    await api.close();
  }
}

/** containers/build-images.sh's context_hash: sha256sum of the files, sorted by name, hashed again. */
export function contextHash(dir: string): string {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else files.push(`./${relative(dir, join(d, e.name))}`);
    }
  };
  walk(dir);
  files.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const listing = files
    .map(
      (f) =>
        `${createHash('sha256')
          .update(readFileSync(join(dir, f)))
          .digest('hex')}  ${f}\n`,
    )
    .join('');
  return createHash('sha256').update(listing).digest('hex').slice(0, 32);
}
