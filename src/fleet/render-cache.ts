/**
 * A persistent, content-addressed cache of component renders: `<cache>/renders/<engine>/<hash>.json`.
 *
 * The key is the component's input hash (spec, Capabilities, tool version, the bytes of every local
 * file it reads — see render/input-hash.ts), so an entry can only be found by a render of exactly
 * the same inputs; kiln's version and a digest of its code are stored in the entry and must match,
 * so another build of kiln never reads this one's output. Entries are written atomically (temp file + rename): a
 * concurrent or interrupted run leaves either a whole entry or none. An unreadable, corrupt or
 * foreign entry is a miss, never an error.
 *
 * Only outputs that survive a JSON round trip exactly are stored (plain objects, arrays, strings,
 * finite numbers, booleans, null); anything else (a YAML 1.1 timestamp parsed to a Date, -0, …) is
 * rendered every time, so a cached render is always byte-identical to an uncached one.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exactJson } from '../manifests/serialize.js';
import type { Engine } from '../model.js';
import type { RenderOutput } from '../render/renderer.js';
import { cacheFiles } from '../util/cache-files.js';

export interface RenderCache {
  /** Whether an entry is there (a stat, not a read: it may still be another build's, then a miss). */
  has(engine: Engine, inputHash: string): boolean;
  get(engine: Engine, inputHash: string): Promise<RenderOutput | undefined>;
  put(engine: Engine, inputHash: string, out: RenderOutput): Promise<void>;
}

interface Entry {
  kiln: string;
  engine: Engine;
  inputHash: string;
  command: string[];
  objects: RenderOutput['objects'];
  warnings?: string[];
}

const FORMAT = 1;

/** The file of one entry; the hash's `sha256:` prefix is dropped, anything but hex refused. */
export function renderCachePath(dir: string, engine: Engine, inputHash: string): string | null {
  const hex = inputHash.replace(/^sha256:/, '');
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  return path.join(dir, 'renders', engine, `${hex}.json`);
}

/**
 * A digest of kiln's own code (the compiled modules next to this one): entries written by another
 * build of kiln — an upgrade, or a developer's edit that kept the version — are misses.
 */
let codeDigest: string | undefined;
export function kilnCodeDigest(): string {
  if (codeDigest === undefined) {
    const here = path.dirname(fileURLToPath(import.meta.url));
    // the CLI runs from dist/bundle (scripts/bundle.mjs), which holds all the code that runs, dependencies too
    const top = path.basename(here) === 'bundle' ? here : path.resolve(here, '..');
    const h = createHash('sha256');
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(js|ts|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) h.update(path.relative(top, p)).update('\0').update(readFileSync(p)).update('\0');
      }
    };
    try {
      walk(top);
      codeDigest = h.digest('hex').slice(0, 16);
    } catch {
      codeDigest = 'unknown';
    }
  }
  return codeDigest;
}

export function diskRenderCache(dir: string, kilnVersion: string): RenderCache {
  const tag = `${kilnVersion}+${kilnCodeDigest()}#${FORMAT}`;
  const files = cacheFiles();
  return {
    has(engine, inputHash) {
      const file = renderCachePath(dir, engine, inputHash);
      return file !== null && existsSync(file);
    },
    async get(engine, inputHash) {
      const file = renderCachePath(dir, engine, inputHash);
      if (!file) return undefined;
      const e = (await files.read(file)) as Entry | undefined;
      if (!e || e.kiln !== tag || e.engine !== engine || e.inputHash !== inputHash || !Array.isArray(e.objects) || !Array.isArray(e.command)) return undefined;
      return { objects: e.objects, command: e.command, ...(Array.isArray(e.warnings) && e.warnings.length ? { warnings: e.warnings.map(String) } : {}) };
    },
    async put(engine, inputHash, out) {
      const file = renderCachePath(dir, engine, inputHash);
      if (!file) return;
      let text: string;
      try {
        text = JSON.stringify({ kiln: tag, engine, inputHash, command: out.command, objects: out.objects, ...(out.warnings?.length ? { warnings: out.warnings } : {}) } satisfies Entry, exactJson);
      } catch {
        return; // not exactly representable: do not cache
      }
      await files.write(file, text);
    },
  };
}
