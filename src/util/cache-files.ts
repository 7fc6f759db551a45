/**
 * Small files of kiln's persistent caches: written atomically (temp file + rename), so a concurrent
 * or interrupted run leaves a whole entry or none; anything unreadable is a miss. A hit refreshes the
 * entry's mtime, which is what pruning (cache-prune.ts) goes by. A cache that cannot be written
 * (read-only, full disk) only costs speed, never fails a command.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CacheFiles {
  /** The text at `file`, or undefined when it is missing. */
  readText(file: string): Promise<string | undefined>;
  /** The parsed JSON at `file`, or undefined when it is missing or not JSON. */
  read(file: string): Promise<unknown>;
  write(file: string, text: string): Promise<void>;
}

export function cacheFiles(): CacheFiles {
  const made = new Map<string, Promise<unknown>>();
  const readText = async (file: string): Promise<string | undefined> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const now = new Date();
    void utimes(file, now, now).catch(() => undefined);
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
    async write(file, text) {
      const parent = path.dirname(file);
      let mk = made.get(parent);
      if (!mk) {
        mk = mkdir(parent, { recursive: true });
        made.set(parent, mk);
      }
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
      try {
        await mk;
        await writeFile(tmp, text);
        await rename(tmp, file);
      } catch {
        made.delete(parent);
        await rm(tmp, { force: true }).catch(() => undefined);
      }
    },
  };
}

/** `<dir>/<area>/<first two hex>/<rest>.json` for a hex key; null for anything else. */
export function hexEntryPath(dir: string, area: string, key: string): string | null {
  return /^[0-9a-f]{40,64}$/.test(key) ? path.join(dir, area, key.slice(0, 2), `${key.slice(2)}.json`) : null;
}
