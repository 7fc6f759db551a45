/**
 * An area of small cache entries (cluster memo, commit facts) kept in a few pack files instead of a
 * file per entry: a publish of 1,000 clusters wrote 1,000 files per area, ~0.5 ms each on a CI disk,
 * on the main thread. A run reads the area's packs once, on first use, and writes what it learnt as
 * one new pack when it ends (`flush`).
 *
 * `<dir>/<area>/<stamp>-<pid>-<random>.pack`, written atomically (temp file + rename): one JSON line
 * per entry, `[key, lastUsedMs, value]`; a later pack's line wins. A hit on an entry last stamped over
 * a day ago is written again with this run's stamp, so a pack's mtime is never older than the last
 * use of anything only it holds: pruning by mtime (cache-prune.ts) keeps what is in use. Beyond
 * MAX_PACKS a flush merges every pack it read into its own (dropping entries unused for the max age)
 * and removes them; a concurrent run's pack written meanwhile is not among them and stays.
 * Anything unreadable is a miss; a cache that cannot be written only costs speed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const DAY_MS = 86_400_000;
const MAX_PACKS = 8;
const SUFFIX = '.pack';

interface Row {
  at: number;
  value: unknown;
}

export interface EntryPack {
  /** The entry's value as last written, or undefined. */
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  /** Write this run's new and refreshed entries as one pack; never throws. Idempotent. */
  flush(): void;
}

export interface EntryPackOptions {
  /** Entries unused this long are dropped when packs are merged (KILN_CACHE_MAX_AGE_DAYS). */
  maxAgeDays: number;
  now?: () => number;
}

export function entryPack(dir: string, area: string, o: EntryPackOptions): EntryPack {
  const at = path.join(dir, area);
  const now = o.now ?? Date.now;
  let rows: Map<string, Row> | undefined;
  let packs: string[] = [];
  // what this run has to write: its puts and the stale-stamped entries it used
  const dirty = new Set<string>();

  const load = (): Map<string, Row> => {
    if (rows) return rows;
    rows = new Map();
    try {
      packs = readdirSync(at).filter((f) => f.endsWith(SUFFIX)).sort();
    } catch {
      packs = [];
    }
    for (const name of packs) {
      let text: string;
      try {
        text = readFileSync(path.join(at, name), 'utf8');
      } catch {
        continue; // merged away by a concurrent run since the listing
      }
      for (const line of text.split('\n')) {
        const row = parseLine(line);
        if (row) rows.set(row[0], { at: row[1], value: row[2] });
      }
    }
    return rows;
  };

  return {
    get(key) {
      const row = load().get(key);
      if (row && row.at < now() - DAY_MS) dirty.add(key);
      return row?.value;
    },
    put(key, value) {
      load().set(key, { at: now(), value });
      dirty.add(key);
    },
    flush() {
      if (!rows || dirty.size === 0) return;
      const t = now();
      const merge = packs.length + 1 > MAX_PACKS;
      const cutoff = t - o.maxAgeDays * DAY_MS;
      const lines: string[] = [];
      for (const [key, row] of rows) {
        if (dirty.has(key)) row.at = t;
        else if (!merge || row.at < cutoff) continue;
        lines.push(JSON.stringify([key, row.at, row.value]));
      }
      const name = `${t.toString(36).padStart(9, '0')}-${process.pid}-${randomBytes(4).toString('hex')}${SUFFIX}`;
      if (!writeAtomic(path.join(at, name), `${lines.join('\n')}\n`)) return;
      dirty.clear();
      if (merge) {
        for (const p of packs) removeQuietly(path.join(at, p));
        packs = [];
      }
      packs.push(name);
    },
  };
}

function parseLine(line: string): [string, number, unknown] | undefined {
  if (!line) return undefined;
  try {
    const v = JSON.parse(line) as unknown;
    return Array.isArray(v) && v.length === 3 && typeof v[0] === 'string' && typeof v[1] === 'number' ? (v as [string, number, unknown]) : undefined;
  } catch {
    return undefined;
  }
}

function writeAtomic(file: string, text: string): boolean {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return true;
  } catch {
    removeQuietly(tmp);
    return false;
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // pruned by age later
  }
}
