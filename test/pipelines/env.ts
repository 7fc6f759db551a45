/** Shared setup for the pipeline tests: a restored tools cache, a `kiln` on PATH. */
import { existsSync, mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { kilnBin } from '../helpers/spawn.js';
import { projectRoot } from '../helpers/fleet-repo.js';
import { which } from '../helpers/tools.js';

/**
 * The versions scripts/setup.sh pins: its own test tools, and the render tools from
 * scripts/pinned-tools.txt (the action's and the template's defaults must match them).
 */
export function pinnedVersions(setupSh: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of setupSh.matchAll(/^\s*"(\w+)\|[^|]+\|[^|]+\|(v[\w.-]+)"/gm)) out[m[1]!] = m[2]!;
  const renderTools = readFileSync(path.join(projectRoot, 'scripts/pinned-tools.txt'), 'utf8');
  for (const m of renderTools.matchAll(/^(\w+)\|[^|]+\|[^|]+\|(v[\w.-]+)$/gm)) out[m[1]!] = m[2]!;
  return out;
}

/** A tools dir laid out as setup.sh / the pipelines cache it (<name>-<version>/<name>), as a cache restore would leave it. */
export function restoredToolsDir(dir: string, versions: Record<string, string>): string {
  for (const name of ['helm', 'kustomize', 'jsonnet', 'ytt', 'conftest']) {
    const dest = path.join(dir, `${name}-${versions[name]}`);
    mkdirSync(dest, { recursive: true });
    symlinkSync(realpathSync(which(name)), path.join(dest, name));
  }
  // kiln check's schema sets, as setup.sh left them beside the tools
  symlinkSync(realpathSync(path.join(path.dirname(realpathSync(which('helm'))), '..', 'k8s-openapi')), path.join(dir, 'k8s-openapi'));
  // the kustomize render worker's build dir too (a cold build is minutes of CPU): the pipelines find it
  // built and reuse it, as from a restored cache; the jsonnet worker is still built in the run
  // (and the helm worker's: all of Helm and client-go, which pushed the act workflow test past 600 s)
  for (const name of ['kiln-render-worker-kustomize', 'kiln-render-worker-helm']) {
    const kw = path.join(path.dirname(realpathSync(which('helm'))), '..', 'bin', name);
    if (existsSync(kw)) symlinkSync(path.dirname(realpathSync(kw)), path.join(dir, path.basename(path.dirname(realpathSync(kw)))));
  }
  return dir;
}

/** A directory holding a `kiln` that runs this checkout's build (an image or runner with kiln installed). */
export function kilnShimDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'kiln'), `#!/bin/sh\nexec "${process.execPath}" "${kilnBin}" "$@"\n`, { mode: 0o755 });
  return dir;
}
