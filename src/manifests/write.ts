/** Write a cluster's tree into `<out>/<cluster>/`, replacing what was there in one rename. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../util/paths.js';

export async function writeClusterDir(outDir: string, cluster: string, files: Map<string, string>): Promise<string> {
  const dest = path.join(outDir, cluster);
  if (!isInside(outDir, dest) || dest === outDir) throw new Error(`cluster name ${cluster} escapes the output dir`);
  const tmp = path.join(outDir, `.${cluster}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  // small files, tens of thousands per fleet: synchronous calls cost a fraction of promise round trips
  const dirs = new Set<string>([tmp]);
  for (const [rel, content] of files) {
    const file = path.join(tmp, rel);
    // file names are built from [a-z0-9.-] only; this guards the invariant, not user input
    if (!isInside(tmp, file)) throw new Error(`refusing to write ${rel} outside ${tmp}`);
    const dir = path.dirname(file);
    if (!dirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      dirs.add(dir);
    }
    writeFileSync(file, content);
  }
  mkdirSync(tmp, { recursive: true });
  const old = path.join(outDir, `.${cluster}.old-${process.pid}`);
  await rm(old, { recursive: true, force: true });
  await rename(dest, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await rename(tmp, dest);
  await rm(old, { recursive: true, force: true });
  return dest;
}
