/**
 * Small files of kiln's persistent caches: written atomically (temp file + rename), so a concurrent
 * or interrupted run leaves a whole entry or none; anything unreadable is a miss. A hit refreshes the
 * entry's mtime, which is what pruning (cache-prune.ts) goes by. A cache that cannot be written
 * (read-only, full disk) only costs speed, never fails a command.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CacheFiles {
  /** The text at `file`, or undefined when it is missing. */
  readText(file: string): Promise<string | undefined>;
  /** The parsed JSON at `file`, or undefined when it is missing or not JSON. */
  read(file: string): Promise<unknown>;
  write(file: string, text: string): Promise<void>;
}

/** Characters past which an entry is written through the thread pool rather than blocking. */
const BIG_ENTRY = 64 * 1024;

export function cacheFiles(): CacheFiles {
  const made = new Set<string>();
  // Read synchronously: entries are small and local, and a publish reads thousands of them (two per
  // cluster on a re-publish); each promise-based read is four trips through libuv's thread pool,
  // ~10× the CPU of a blocking read (2,000 entries: ~150 ms against ~15 ms).
  const readText = async (file: string): Promise<string | undefined> => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // a read-only cache: the entry is pruned by its age all the same
    }
    return text;
  };
  return {
    readText,
    async read(file) {
      const text = await readText(file);
      try {
        return text === undefined ? undefined : (JSON.parse(text) as unknown);
      } catch {
        return undefined;
      }
    },
    // written synchronously too, for the same reason (a cold publish writes an entry or more per cluster);
    // a big one (a chart's render, a patch build: 100s of KiB) goes through the thread pool, where its
    // copy into the page cache does not hold up the main thread
    async write(file, text) {
      const parent = path.dirname(file);
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        if (!made.has(parent)) {
          mkdirSync(parent, { recursive: true });
          made.add(parent);
        }
        if (text.length > BIG_ENTRY) await writeFile(tmp, text);
        else writeFileSync(tmp, text);
        renameSync(tmp, file);
      } catch {
        made.delete(parent);
        try {
          rmSync(tmp, { force: true });
        } catch {
          // nothing was written
        }
      }
    },
  };
}

/** `<dir>/<area>/<first two hex>/<rest>.json` for a hex key; null for anything else. */
export function hexEntryPath(dir: string, area: string, key: string): string | null {
  return /^[0-9a-f]{40,64}$/.test(key) ? path.join(dir, area, key.slice(0, 2), `${key.slice(2)}.json`) : null;
}
