/**
 * Config files parsed before, remembered across runs: `<cache>/config/<key>.json` holds the
 * documents of one file as plain values, after the free-form maps were read as Kubernetes reads them
 * and after they passed the schema of their kind. The key is a digest of the file's bytes, that kind,
 * kiln's version and a digest of its code, so an entry is only found for exactly the same text read
 * by exactly the same kiln; no mtime is trusted. A 1,000-cluster fleet's files took ~0.5 s to parse
 * with positions on every re-publish.
 *
 * Positions are not stored: a document from the cache parses its file again, with positions, the
 * first time anything asks where one of its fields is (an error or a warning naming file:line:col),
 * so what those say is exactly what an uncached load says. Only values that survive a JSON round
 * trip exactly are stored; a missing, corrupt or foreign entry is a miss, never an error.
 *
 * A file's values may be secrets (cluster vars, inline values, ext vars), and kiln's cache holds no
 * Secret data: it travels as a CI cache, to jobs that may not read the repo. So an entry is sealed
 * (AES-256-GCM) with a key derived from the file's own text: only a reader who already has that text
 * can open it, and the cache tells nothing the lookup key (a digest of the same text) does not.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { kilnCodeDigest } from '../fleet/render-cache.js';
import { cacheDir } from '../options.js';
import { exactJsonText } from '../manifests/serialize.js';
import { cacheFiles, hexEntryPath } from '../util/cache-files.js';
import { kilnVersion } from '../util/version.js';
import { withLazyPositions, type LoadedDoc } from './yaml-doc.js';

/** Bumped when what an entry holds, or how a file's text becomes its values, changes shape. */
const FORMAT = 'kiln-config/2';

export interface ParseCache {
  /** The documents of `text` (a file shown as `file`) that passed the schema of `kind` before, or undefined. */
  get(text: string, file: string, kind: string): Promise<LoadedDoc[] | undefined>;
  /** Remember `docs`, parsed from `text`, as valid documents of `kind`. */
  put(text: string, kind: string, docs: LoadedDoc[]): Promise<void>;
  /** How many files came from the cache and how many were parsed (the `--log-level debug` line; tests count them). */
  readonly stats: { cached: number; parsed: number };
}

interface Entry {
  key: string;
  /** The documents' JSON (`{index, value}[]`), sealed: base64 of the GCM nonce, the ciphertext, the tag. */
  sealed: string;
}

type Docs = Array<{ index: number; value: unknown }>;

const sealKey = (text: string) => createHash('sha256').update(`${FORMAT} entry key\0`).update(text).digest();

function seal(text: string, json: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', sealKey(text), iv);
  return Buffer.concat([iv, c.update(json, 'utf8'), c.final(), c.getAuthTag()]).toString('base64');
}

/** The sealed JSON, or undefined when it does not open with this text's key (another text, a damaged entry). */
function unseal(text: string, sealed: string): unknown {
  try {
    const b = Buffer.from(sealed, 'base64');
    const d = createDecipheriv('aes-256-gcm', sealKey(text), b.subarray(0, 12));
    d.setAuthTag(b.subarray(b.length - 16));
    return JSON.parse(Buffer.concat([d.update(b.subarray(12, b.length - 16)), d.final()]).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The run's parse cache under KILN_CACHE_DIR; none with KILN_RENDER_CACHE=off (which turns every persistent cache off). */
export function configParseCache(env = process.env): ParseCache | undefined {
  return /^(off|0|false|no)$/i.test(env.KILN_RENDER_CACHE ?? '') ? undefined : diskParseCache(cacheDir(env));
}

export function diskParseCache(dir: string): ParseCache {
  const files = cacheFiles();
  const tag = `${FORMAT} ${kilnVersion()}+${kilnCodeDigest()}`;
  const keyOf = (text: string, kind: string) => createHash('sha256').update(tag).update('\0').update(kind).update('\0').update(text).digest('hex');
  const stats = { cached: 0, parsed: 0 };
  return {
    stats,
    async get(text, file, kind) {
      const key = keyOf(text, kind);
      const at = hexEntryPath(dir, 'config', key);
      const e = at ? ((await files.read(at)) as Entry | undefined) : undefined;
      const docs = e?.key === key && typeof e.sealed === 'string' ? (unseal(text, e.sealed) as Docs | undefined) : undefined;
      if (!Array.isArray(docs) || !docs.every((d) => Number.isInteger(d?.index) && d.value !== undefined)) {
        stats.parsed++;
        return undefined;
      }
      stats.cached++;
      return withLazyPositions(text, file, docs);
    },
    async put(text, kind, docs) {
      const key = keyOf(text, kind);
      const at = hexEntryPath(dir, 'config', key);
      if (!at) return;
      const json = exactJsonText(docs.map((d) => ({ index: d.index, value: d.value })));
      if (json !== undefined) await files.write(at, JSON.stringify({ key, sealed: seal(text, json) } satisfies Entry));
    },
  };
}
