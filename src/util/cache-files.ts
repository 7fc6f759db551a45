/**
 * Small files of kiln's persistent caches: written atomically (temp file + rename), so a concurrent
 * or interrupted run leaves a whole entry or none; read as JSON, where anything unreadable is a miss.
 * A cache that cannot be written (read-only, full disk) only costs speed, never fails a command.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface CacheFiles {
  /** The parsed JSON at `file`, or undefined when it is missing or not JSON. */
  read(file: string): Promise<unknown>;
  write(file: string, text: string): Promise<void>;
}

export function cacheFiles(): CacheFiles {
  const made = new Map<string, Promise<unknown>>();
  return {
    async read(file) {
      try {
        return JSON.parse(await readFile(file, 'utf8')) as unknown;
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
