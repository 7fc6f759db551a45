/**
 * Keeps kiln's cache from growing without bound in long-lived CI caches: entries not used (their
 * mtime is refreshed on every hit) for KILN_CACHE_MAX_AGE_DAYS days (default 30) are removed, with
 * temp files that an interrupted write left behind. Runs at most once a day per cache directory and
 * never fails a command.
 */
import { readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KilnError } from '../errors.js';

const AREAS = ['renders', 'patches', 'clusters', 'cluster-keys', 'commits', 'tools', 'checks', 'config'];
const MARKER = '.last-prune';
const DAY_MS = 86_400_000;

/** KILN_CACHE_MAX_AGE_DAYS: a positive whole number of days. */
export function cacheMaxAgeDays(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 30;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new KilnError(`KILN_CACHE_MAX_AGE_DAYS="${raw}" is not a positive number of days`, { hint: 'e.g. KILN_CACHE_MAX_AGE_DAYS=14' });
  return n;
}

export async function pruneCache(dir: string, maxAgeDays: number, now = Date.now()): Promise<{ removed: number } | undefined> {
  const marker = path.join(dir, MARKER);
  const last = await stat(marker).then((s) => s.mtimeMs, () => 0);
  if (now - last < DAY_MS) return undefined;
  try {
    await writeFile(marker, '');
    await utimes(marker, new Date(now), new Date(now));
  } catch {
    return undefined; // no cache yet, or not writable
  }
  const cutoff = now - maxAgeDays * DAY_MS;
  let removed = 0;
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        await walk(p);
        continue;
      }
      const s = await stat(p).catch(() => undefined);
      if (!s) continue;
      const stale = e.name.endsWith('.tmp') ? s.mtimeMs < now - DAY_MS : s.mtimeMs < cutoff;
      if (stale && (await rm(p, { force: true }).then(() => true, () => false))) removed++;
    }
  };
  for (const area of AREAS) await walk(path.join(dir, area));
  return { removed };
}
