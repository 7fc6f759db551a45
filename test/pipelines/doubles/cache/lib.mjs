import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
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
  const hits = readdirSync(root()).map(decodeURIComponent).filter((k) => k.startsWith(prefix));
  hits.sort((a, b) => statSync(slot(b)).mtimeMs - statSync(slot(a)).mtimeMs);
  return hits[0];
}
export function copyInto(from, to) {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(path.dirname(to), { recursive: true });
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}
