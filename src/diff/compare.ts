/** Object-level comparison of one cluster's two renders, and grouping of clusters with equal diffs. */
import { createHash } from 'node:crypto';
import { structuredPatch } from 'diff';
import { idOf, keyOf } from '../manifests/keys.js';
import { parseManifests } from '../manifests/parse.js';
import { serializeObject } from '../manifests/serialize.js';
import type { K8sObject } from '../model.js';
import { applyIgnores, type IgnoreRule } from './ignore.js';
import { changedSecretKeys, maskObject, type Masker } from './mask.js';
import type { ClusterSummary, DiffGroup, ObjectDiff } from './model.js';
import { immutableChanges, mergeRisks, risksOf } from './risk.js';

export interface CompareOptions {
  ignore: readonly IgnoreRule[];
  /** Each profile's own `diffIgnore` rules, for its objects only. */
  profileIgnore?: ReadonlyMap<string, readonly IgnoreRule[]>;
  masker: Masker;
  /** Lines of context around each change (default 3). */
  context?: number;
  /** Leave out files identical on both sides before parsing (default; off only to show it changes nothing). */
  skipIdentical?: boolean;
  /** The run's parsed files (createParsedFiles): one parse per distinct (profile, text), not per cluster. */
  parsed?: ParsedFiles;
}

/** One parsed object of a file: its identity key, and its masked, ignore-stripped object and text. */
interface FileObject {
  key: string;
  object: K8sObject;
  text: string;
}

/**
 * A run's parsed files, shared read-only by its clusters: a one-profile change over a fleet gives
 * the same changed file text to every cluster with the same inputs (54 distinct gateway renders on
 * 1,000 bench clusters), and parsing, masking and re-serialising each copy was most of the compare.
 * The masker and ignore rules are fixed for a run, so (profile, text) decides the result. Bounded:
 * the oldest entries go first (a fleet of all-distinct files gains nothing and keeps little).
 */
export interface ParsedFiles {
  readonly entries: Map<string, FileObject[]>;
  /** Files parsed so far (misses): what the tests count. */
  parses: number;
  readonly max: number;
  /** The rules and masker the entries were made with: options derived with others (withProfileIgnores) parse anew. */
  owner?: Pick<CompareOptions, 'ignore' | 'profileIgnore' | 'masker'>;
}

/** The memo when `opts` are the ones it was filled under (the first to use it), else none. */
function memoFor(opts: CompareOptions): ParsedFiles | undefined {
  const memo = opts.parsed;
  if (!memo) return undefined;
  memo.owner ??= { ignore: opts.ignore, profileIgnore: opts.profileIgnore, masker: opts.masker };
  const o = memo.owner;
  return o.ignore === opts.ignore && o.profileIgnore === opts.profileIgnore && o.masker === opts.masker ? memo : undefined;
}

export function createParsedFiles(max = 4096): ParsedFiles {
  return { entries: new Map(), parses: 0, max };
}

function parseFile(content: string, profile: string, opts: CompareOptions, source: string): FileObject[] {
  const memo = memoFor(opts);
  const memoKey = `${profile}\0${content}`;
  const hit = memo?.entries.get(memoKey);
  if (hit) return hit;
  const own = opts.profileIgnore?.get(profile);
  const rules = own ? [...opts.ignore, ...own] : opts.ignore;
  const out = parseManifests(content, { source }).map((raw): FileObject => {
    const object = maskObject(applyIgnores(raw, rules), opts.masker);
    return { key: keyOf(raw), object, text: serializeObject(object) };
  });
  if (memo) {
    memo.parses++;
    if (memo.entries.size >= memo.max) memo.entries.delete(memo.entries.keys().next().value!);
    memo.entries.set(memoKey, out);
  }
  return out;
}

/** One side of one cluster: the files under its output path (path → YAML). */
export interface SideFiles {
  outputPath: string;
  files: Map<string, string>;
}

interface Entry {
  object: K8sObject;
  profile: string;
  text: string;
}

/** Objects under `<outputPath>/` keyed by identity, ignored fields dropped and secrets masked. */
export function sideObjects(side: SideFiles | undefined, opts: CompareOptions, where: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  if (!side) return out;
  // '' reads a whole branch (several clusters' output paths): the profile is the file's directory
  const prefix = side.outputPath === '' ? '' : side.outputPath.replace(/\/+$/, '') + '/';
  for (const [p, content] of side.files) {
    if (!p.startsWith(prefix)) continue;
    const profile = (prefix ? p.slice(prefix.length).split('/')[0] : p.split('/').at(-2)) ?? '';
    for (const f of parseFile(content, profile, opts, `${where}:${p}`)) {
      // a whole branch may hold the same object once per cluster, under each cluster's output path
      const key = prefix ? f.key : `${p.split('/').slice(0, -2).join('/')}|${f.key}`;
      out.set(key, { object: f.object, profile, text: f.text });
    }
  }
  return out;
}

/**
 * Both sides without the files holding the same text at the same path on the other: same path, same
 * profile; same text, same objects (a render holds each object in one file only), so they cannot add
 * to the diff. Most files of a fleet-wide diff are such, and parsing them was most of its time.
 */
export function withoutIdentical<T extends SideFiles>(before: T | undefined, after: T | undefined): [T | undefined, T | undefined] {
  // another output path reads the same path as another profile
  if (!before || !after || before.outputPath.replace(/\/+$/, '') !== after.outputPath.replace(/\/+$/, '')) return [before, after];
  const same = new Set<string>();
  for (const [p, text] of before.files) if (after.files.get(p) === text) same.add(p);
  if (!same.size) return [before, after];
  const drop = (s: T): T => ({ ...s, files: new Map([...s.files].filter(([p]) => !same.has(p))) });
  return [drop(before), drop(after)];
}

export function compareCluster(before: SideFiles | undefined, after: SideFiles | undefined, opts: CompareOptions, where: { before: string; after: string }): ObjectDiff[] {
  const [left, right] = opts.skipIdentical === false ? [before, after] : withoutIdentical(before, after);
  const a = sideObjects(left, opts, where.before);
  const b = sideObjects(right, opts, where.after);
  const out: ObjectDiff[] = [];
  const keys = new Map<ObjectDiff, string>();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    if (x && y && x.text === y.text) continue;
    const o = (y ?? x)!.object;
    const id = idOf(o);
    const action = !x ? 'added' : !y ? 'removed' : 'changed';
    const immutableFields = x && y ? immutableChanges(id.group, x.object, y.object) : [];
    const notes = changedSecretKeys(x?.object, y?.object).map((k) => `secret value changed: ${k}`);
    const d: ObjectDiff = {
      group: id.group,
      kind: id.kind,
      namespace: id.namespace,
      name: id.name,
      profile: (y ?? x)!.profile,
      action,
      risks: risksOf(id.group, id.kind, action, immutableFields),
      immutableFields,
      notes,
      diff: unified(x?.text ?? '', y?.text ?? '', opts.context ?? 3),
    };
    out.push(d);
    keys.set(d, key);
  }
  noteRenames(out, keys, a, b);
  return out.sort(compareDiffs);
}

function unified(before: string, after: string, context: number): string {
  const patch = structuredPatch('', '', before, after, '', '', { context });
  return patch.hunks.map((h) => [`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, ...h.lines].join('\n')).join('\n');
}

/**
 * A removal and an addition of the same kind whose bodies match but for the name read as a rename
 * (objects with nothing but a name, like most Namespaces, are alike without being renames).
 */
function noteRenames(diffs: ObjectDiff[], keys: Map<ObjectDiff, string>, before: Map<string, Entry>, after: Map<string, Entry>): void {
  const body = (e: Entry): string | undefined => {
    const { name: _name, namespace: _ns, ...meta } = e.object.metadata;
    return Object.keys(e.object).length > 3 || Object.keys(meta).length ? serializeObject({ ...e.object, metadata: { ...e.object.metadata, name: '' } }) : undefined;
  };
  const removed = new Map<string, ObjectDiff>();
  for (const d of diffs) {
    if (d.action !== 'removed') continue;
    const b = body(before.get(keys.get(d)!)!);
    if (b !== undefined) removed.set(`${d.group}|${d.kind}|${d.namespace}|${b}`, d);
  }
  for (const d of diffs) {
    if (d.action !== 'added') continue;
    const b = body(after.get(keys.get(d)!)!);
    const r = b === undefined ? undefined : removed.get(`${d.group}|${d.kind}|${d.namespace}|${b}`);
    if (!r) continue;
    d.notes.push(`renamed from ${r.name}`);
    r.notes.push(`renamed to ${d.name}`);
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function compareDiffs(a: ObjectDiff, b: ObjectDiff): number {
  return cmp(a.namespace, b.namespace) || cmp(a.group, b.group) || cmp(a.kind, b.kind) || cmp(a.name, b.name);
}

export interface ClusterDiff {
  summary: Omit<ClusterSummary, 'group' | 'added' | 'changed' | 'removed' | 'risks'>;
  objects: ObjectDiff[];
}

/**
 * What makes two object diffs "the same change": the object, what happened to it, and the changed
 * lines. Context lines are left out: they carry per-cluster values (`HOST: prod-us-1`) that would
 * otherwise split one change over a fleet into a group per cluster.
 */
export function changePrint(o: ObjectDiff): string {
  const changed = o.diff.split('\n').filter((l) => l.startsWith('+') || l.startsWith('-'));
  return JSON.stringify([o.group, o.kind, o.namespace, o.name, o.profile, o.action, o.risks, o.immutableFields, o.notes, changed]);
}

/**
 * Clusters whose object diffs make the same changes form one group, largest first. A group shows the
 * diffs (with their context) of its first cluster by name, its representative, so the output does not
 * depend on which cluster finished rendering first.
 */
export function groupClusters(clusters: ClusterDiff[]): { clusters: ClusterSummary[]; groups: DiffGroup[] } {
  const byPrint = new Map<string, Array<{ name: string; objects: ObjectDiff[] }>>();
  const printOf = new Map<string, string>();
  for (const c of clusters) {
    if (!c.objects.length) continue;
    const h = createHash('sha256');
    for (const o of c.objects) h.update(changePrint(o)).update('\0');
    const fp = h.digest('hex');
    printOf.set(c.summary.name, fp);
    const g = byPrint.get(fp);
    if (g) g.push({ name: c.summary.name, objects: c.objects });
    else byPrint.set(fp, [{ name: c.summary.name, objects: c.objects }]);
  }
  const groups: DiffGroup[] = [...byPrint.values()]
    .map((members) => {
      const names = members.map((m) => m.name).sort(cmp);
      return { names, objects: members.find((m) => m.name === names[0])!.objects };
    })
    .sort((x, y) => y.names.length - x.names.length || cmp(x.names[0]!, y.names[0]!))
    .map((g, i) => ({ id: i + 1, clusters: g.names, ...(g.names.length > 1 ? { representative: g.names[0]! } : {}), ...counts(g.objects), risks: mergeRisks(g.objects.map((o) => o.risks)), objects: g.objects }));
  const idOfPrint = new Map<string, number>();
  for (const g of groups) idOfPrint.set(printOf.get(g.clusters[0]!)!, g.id);
  const summaries = clusters
    .map((c): ClusterSummary => {
      const fp = printOf.get(c.summary.name);
      return { ...c.summary, ...(fp ? { group: idOfPrint.get(fp)! } : {}), ...counts(c.objects), risks: mergeRisks(c.objects.map((o) => o.risks)) };
    })
    .sort((x, y) => cmp(x.name, y.name));
  return { clusters: summaries, groups };
}

export function counts(objects: readonly ObjectDiff[]): { added: number; changed: number; removed: number } {
  const n = { added: 0, changed: 0, removed: 0 };
  for (const o of objects) n[o.action]++;
  return n;
}
