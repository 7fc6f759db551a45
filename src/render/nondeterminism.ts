/**
 * Charts that render differently every time: `randAlphaNum` & co., `uuidv4`, `now`, generated keys
 * and certificates — and `lookup`, empty when rendered offline, which such templates use to keep an
 * in-cluster value. Grafana's admin password is the classic case: every render makes a new password
 * and checksum, so every publish of every cluster changes. Found by reading the chart's templates
 * (following `define`d helpers into the templates that include them), not by rendering twice.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { statOrNull, walkFiles } from './common.js';

const FUNCS = /\b(randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|randInt|uuidv4|genPrivateKey|genCA|genCAWithKey|genSelfSignedCert|genSelfSignedCertWithKey|genSignedCert|genSignedCertWithKey|now|lookup)\b/g;
const DEFINE = /\{\{-?\s*define\s+"([^"]+)"\s*-?\}\}([\s\S]*?)\{\{-?\s*end\s*-?\}\}/g;
const USES = /\{\{-?[^}]*?\b(?:include|template)\s+"([^"]+)"/g;
const VALUE_HINT = /\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g;

/** A chart directory's or archive's files under any `templates/` (subcharts included), by path inside the chart. */
export async function chartTemplates(chart: string): Promise<Map<string, string>> {
  const s = await statOrNull(chart);
  const out = new Map<string, string>();
  if (s?.isDirectory()) {
    for (const f of await walkFiles(chart)) {
      const rel = path.relative(chart, f).split(path.sep).join('/');
      if (/(^|\/)templates\//.test(rel)) out.set(rel, await readFile(f, 'utf8'));
      else if (/(^|\/)charts\/[^/]+\.tgz$/.test(rel)) for (const [k, v] of tgzTemplates(await readFile(f), true)) out.set(`${rel.replace(/\/[^/]+$/, '')}/${k}`, v);
    }
  } else if (s?.isFile()) {
    for (const [k, v] of tgzTemplates(await readFile(chart))) out.set(k, v);
  }
  return out;
}

/**
 * Templates of a packaged chart, nested subchart archives included; the top directory (the chart's
 * name) is kept for a subchart (`charts/<name>/templates/…`, as Helm names its sources) and dropped otherwise.
 */
function tgzTemplates(gz: Buffer, keepTop = false): Map<string, string> {
  const out = new Map<string, string>();
  let tar: Buffer;
  try {
    tar = gunzipSync(gz);
  } catch {
    return out;
  }
  let longName: string | undefined;
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const str = (a: number, b: number) => h.subarray(a, b).toString('utf8').replace(/\0.*$/s, '');
    const size = parseInt(str(124, 136).trim() || '0', 8);
    const type = String.fromCharCode(h[156]!);
    const body = tar.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
      continue;
    }
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m) longName = m[1];
      continue;
    }
    const prefix = str(345, 500);
    const name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    if (type !== '0' && type !== '\0') continue;
    const rel = name.split('/').slice(1).join('/');
    const key = keepTop ? name : rel;
    if (/(^|\/)templates\//.test(rel)) out.set(key, body.toString('utf8'));
    else if (/(^|\/)charts\/[^/]+\.tgz$/.test(rel)) for (const [k, v] of tgzTemplates(Buffer.from(body), true)) out.set(`${key.replace(/\/[^/]+$/, '')}/${k}`, v);
  }
  return out;
}

export interface Nondeterministic {
  /** The template, as in Helm's `# Source:` comments after the chart name. */
  template: string;
  funcs: string[];
  /** Values the template reads that would let a user pin it (`existingSecret`-like first). */
  values: string[];
}

/** Templates (not helpers) whose output changes from render to render, directly or through the helpers they include. */
export function findNondeterministic(templates: Map<string, string>): Nondeterministic[] {
  const defines = new Map<string, string>();
  for (const text of templates.values()) for (const m of text.matchAll(DEFINE)) defines.set(m[1]!, m[2]!);
  // which defines are non-deterministic, through includes, to a fixpoint
  const funcsOf = new Map<string, Set<string>>();
  for (const [name, body] of defines) funcsOf.set(name, new Set([...body.matchAll(FUNCS)].map((m) => m[1]!)));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, body] of defines) {
      const mine = funcsOf.get(name)!;
      for (const u of body.matchAll(USES)) for (const f of funcsOf.get(u[1]!) ?? []) if (!mine.has(f)) (mine.add(f), (changed = true));
    }
  }
  const out: Nondeterministic[] = [];
  for (const [rel, text] of templates) {
    if (/\/_[^/]*$|^_/.test(rel.split('/templates/').pop() ?? rel) || rel.endsWith('NOTES.txt')) continue; // helpers and notes render nothing
    const outside = text.replace(DEFINE, '');
    const funcs = new Set([...outside.matchAll(FUNCS)].map((m) => m[1]!));
    for (const u of outside.matchAll(USES)) for (const f of funcsOf.get(u[1]!) ?? []) funcs.add(f);
    if (!funcs.size || (funcs.size === 1 && funcs.has('lookup'))) continue; // lookup alone is stable offline
    const sub = [...rel.matchAll(/charts\/([^/]+)\//g)].map((m) => m[1]!.replace(/-\d+\.\d+\.\d+.*$/, ''));
    const values = [...new Set([...outside.matchAll(VALUE_HINT)].map((m) => [...sub, m[1]!.slice(1)].join('.')))];
    values.sort((a, b) => Number(/existing/i.test(b)) - Number(/existing/i.test(a)));
    out.push({ template: rel, funcs: [...funcs].sort(), values });
  }
  return out.sort((a, b) => (a.template < b.template ? -1 : 1));
}

/** `# Source: <chart>/<template>` → the objects Helm rendered from it, as `Kind/name`. */
export function objectsBySource(helmOutput: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const doc of helmOutput.split(/^---\s*$/m)) {
    const src = /^# Source: (.+)$/m.exec(doc)?.[1]?.trim();
    const kind = /^kind:\s*["']?([^"'\s]+)/m.exec(doc)?.[1];
    const name = /^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*["']?([^"'\s]+)/m.exec(doc)?.[1];
    if (!src || !kind || !name) continue;
    const rel = src.split('/').slice(1).join('/');
    out.set(rel, [...(out.get(rel) ?? []), `${kind}/${name}`]);
  }
  return out;
}

/** One warning per non-deterministic template that rendered objects. */
export function nondeterminismWarnings(chart: string, found: Nondeterministic[], sources: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const n of found) {
    const objects = sources.get(n.template);
    if (!objects?.length) continue; // switched off by the values: nothing rendered
    const fix = n.values.length ? `set ${n.values.slice(0, 3).join(' or ')}` : 'set the values this template reads explicitly';
    out.push(`chart ${chart}: ${objects.join(', ')} (${n.template}) uses ${n.funcs.join(', ')}: every render changes it, so every publish does; ${fix} (\`kiln check --determinism\` names the fields; a profile's diffIgnore keeps diffs quiet about them)`);
  }
  return out;
}
