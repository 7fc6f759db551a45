import {
  appendFileSync, chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync,
  renameSync, rmSync, statSync, symlinkSync,
} from 'node:fs';
import path from 'node:path';

export const input = (name) => (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
export const root = () => process.env.KILN_DOUBLE_CACHE;
export const paths = () => input('path').split('\n').map((s) => s.trim()).filter(Boolean);
// one directory per key; each cached path stored under its index
export const slot = (key) => path.join(root(), encodeURIComponent(key));
export function setOutput(k, v) {
  appendFileSync(process.env.GITHUB_OUTPUT, `${k}=${v}\n`);
}
export function saveState(k, v) {
  appendFileSync(process.env.GITHUB_STATE, `${k}=${v}\n`);
}
export function newestWithPrefix(prefix) {
  if (!existsSync(root())) return undefined;
  const hits = readdirSync(root()).filter((f) => !f.includes('.saving-')).map(decodeURIComponent).filter((k) => k.startsWith(prefix));
  hits.sort((a, b) => statSync(slot(b)).mtimeMs - statSync(slot(a)).mtimeMs);
  return hits[0];
}
// Matrix jobs under act share the host's paths, so restores and saves race each other.
// A restore overlays file by file through renames, as extracting a tar over a directory would;
// a save builds a private copy and renames it into place, and the first save of a key wins,
// as on GitHub ("another job may be creating this cache").
export function restoreInto(from, to) {
  const st = lstatSync(from);
  if (st.isDirectory()) {
    mkdirSync(to, { recursive: true });
    for (const name of readdirSync(from)) restoreInto(path.join(from, name), path.join(to, name));
    return;
  }
  const tmp = `${to}.restore-${process.pid}`;
  rmSync(tmp, { force: true });
  if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), tmp);
  else copyFileSync(from, tmp), chmodSync(tmp, st.mode);
  renameSync(tmp, to);
}
export function saveSlot(key, from) {
  const dir = slot(key);
  const tmp = `${dir}.saving-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  from.forEach((p, i) => existsSync(p) && cpSync(p, path.join(tmp, String(i)), { recursive: true, verbatimSymlinks: true }));
  try {
    renameSync(tmp, dir);
    return true;
  } catch (e) {
    if (e.code !== 'EEXIST' && e.code !== 'ENOTEMPTY') throw e;
    rmSync(tmp, { recursive: true, force: true });
    return false;
  }
}
