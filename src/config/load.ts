/** Load kiln.yaml and every cluster and profile file into a FleetConfig, reporting all problems at once. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { KilnError, KilnErrors } from '../errors.js';
import type { Applier, Cluster, Environment, FleetConfig, PatchSpec, Profile, ToolName, Warning } from '../model.js';
import { clearPathMemo, isInside, relToRoot, resolveInRoot } from '../util/paths.js';
import { checkConfig } from './checks.js';
import { didYouMean, joinHint, typeName } from './fields.js';
import { KINDS, validateDocument, type Kind } from './schema.js';
import type { ParseCache } from './parse-cache.js';
import { lazyPos, parseYamlDocs, readConfigText, withLazyPositions, type LoadedDoc, type YamlDocRef } from './yaml-doc.js';

export const DEFAULT_BRANCH = 'rendered/{{ .Cluster.environment }}/{{ .Cluster.name }}';
export const DEFAULT_OUTPUT_PATH = 'manifests';
// both YAML extensions, as kubectl and Kustomize read them
export const DEFAULT_CLUSTER_GLOBS = ['clusters/*.yaml', 'clusters/*.yml'];
export const DEFAULT_PROFILE_GLOBS = ['profiles/*.yaml', 'profiles/*.yml'];
export const DEFAULT_TIER = 100;
export const DEFAULT_APPLIER: Applier = 'flux';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Throw the collected errors: nothing, one KilnError, or a KilnErrors holding each. */
export function throwIfAny(errors: KilnError[]): void {
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new KilnErrors(errors);
}

function collect(errors: KilnError[], e: unknown): void {
  if (e instanceof KilnErrors) errors.push(...e.errors);
  else if (e instanceof KilnError) errors.push(e);
  else throw e;
}

/** `parseCache`: cluster and profile files parsed and found valid before are taken from it (parse-cache.ts). */
export async function loadConfig(opts: { cwd: string; config?: string; emptyProfilesWarn?: boolean; parseCache?: ParseCache }): Promise<{ config: FleetConfig; warnings: Warning[] }> {
  clearPathMemo(); // a new load must see files changed since the last one
  const cwd = path.resolve(opts.cwd);
  const file = fleetFile(opts);
  // the fleet's root is the config file's directory: its globs and every relative path in it resolve there
  const root = path.dirname(file);
  // positions in the fleet's files are relative to its root, like every other file of it
  const shownFleet = shownName(root, file);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new KilnError('not found', {
      pos: { file: shownName(cwd, file) },
      hint: opts.config ? `--config is resolved against ${cwd}` : `kiln looks for kiln.yaml in ${cwd} (or kiln.yml); pass --config or --cwd`,
    });
  }
  const errors: KilnError[] = [];
  const warnings: Warning[] = [];

  let fleetDoc: LoadedDoc | undefined;
  try {
    const text = await readConfigText(file, shownFleet);
    const known = await opts.parseCache?.get(text, shownFleet, 'Fleet');
    const docs = known ?? parseYamlDocs(text, shownFleet);
    if (docs.length !== 1) {
      const pos = docs[1] ? docs[1].ref.locate([]) : { file: shownFleet, line: 1, col: 1 };
      throw new KilnError(docs.length ? 'kiln.yaml must hold exactly one document' : 'kiln.yaml is empty', { pos, hint: 'it holds one Fleet document; clusters and profiles live in their own files' });
    }
    fleetDoc = docs[0]!;
    // a remembered kiln.yaml passed the schema when it was remembered
    const fleetOk = known !== undefined || checkDocument(fleetDoc, 'Fleet', 'kiln.yaml', errors);
    if (!fleetOk) fleetDoc = { ...fleetDoc, value: undefined };
    else if (!known) await opts.parseCache?.put(text, 'Fleet', docs);
  } catch (e) {
    collect(errors, e);
  }
  const fspec = asObj(asObj(fleetDoc?.value).spec);
  const clusterGlobs = globList(fspec.clusters, DEFAULT_CLUSTER_GLOBS);
  const profileGlobs = globList(fspec.profiles, DEFAULT_PROFILE_GLOBS);

  const clusterFiles = await findFiles(root, clusterGlobs, 'clusters', file, fleetDoc?.ref, errors, warnings);
  const profileFiles = await findFiles(root, profileGlobs, 'profiles', file, fleetDoc?.ref, errors, warnings);
  const clusters: Cluster[] = [];
  const profiles: Profile[] = [];
  for (const rel of clusterFiles) {
    if (profileFiles.includes(rel)) {
      errors.push(new KilnError('file is matched by both spec.clusters and spec.profiles', { pos: { file: rel }, hint: 'keep cluster and profile files apart' }));
      continue;
    }
    for (const d of await docsOf(root, rel, 'Cluster', errors, opts.parseCache)) clusters.push(toCluster(d));
  }
  for (const rel of profileFiles) {
    if (clusterFiles.includes(rel)) continue;
    for (const d of await docsOf(root, rel, 'Profile', errors, opts.parseCache)) profiles.push(toProfile(d));
  }
  // references between documents are only checked once every document is well-formed, so that one
  // broken file does not cascade into "unknown profile" errors elsewhere
  throwIfAny(errors);

  // a fleet-wide kubeVersion is every cluster's default
  if (typeof fspec.kubeVersion === 'string') for (const c of clusters) c.kubeVersion ??= fspec.kubeVersion;
  const config = toFleet(fleetDoc!, root, file, clusterGlobs, profileGlobs, clusters, profiles);
  if (config.output.branches === false && !config.output.oci) {
    // without branches the artifacts are the only output: there must be somewhere to push them
    throw new KilnError('spec.output.branches is false but spec.output.oci is not set: kiln would publish nothing', {
      pos: fleetDoc!.ref.locate(['spec', 'output', 'branches']),
      field: 'spec.output.branches',
      hint: 'set spec.output.oci.repository (oci://<registry>/<path>/{{ .Cluster.name }}), or drop branches: false',
    });
  }
  if (config.output.branches === false && config.output.hydrator) {
    throw new KilnError('spec.output.hydrator needs rendered branches, and spec.output.branches is false', {
      pos: fleetDoc!.ref.locate(['spec', 'output', 'hydrator']),
      field: 'spec.output.hydrator',
      hint: 'drop hydrator: true, or turn branches back on',
    });
  }
  const checked = checkConfig(config, { emptyProfilesWarn: opts.emptyProfilesWarn });
  throwIfAny(checked.errors);
  const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  config.clusters.sort(byName);
  config.profiles.sort(byName);
  return { config, warnings: [...warnings, ...checked.warnings] };
}

/** The fleet config file: --config (against cwd), else kiln.yaml in cwd, else kiln.yml there. */
export function fleetFile(opts: { cwd: string; config?: string }): string {
  const cwd = path.resolve(opts.cwd);
  if (opts.config) return path.resolve(cwd, opts.config);
  const yaml = path.join(cwd, 'kiln.yaml');
  const yml = path.join(cwd, 'kiln.yml');
  return !existsSync(yaml) && existsSync(yml) ? yml : yaml;
}

/** The fleet's root (where its globs and relative paths resolve): the config file's directory. */
export function fleetRoot(opts: { cwd: string; config?: string }): string {
  return path.dirname(fleetFile(opts));
}

function shownName(root: string, abs: string): string {
  return isInside(root, abs) ? relToRoot(root, abs) : abs;
}

function globList(v: unknown, dflt: string[]): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return dflt;
}

async function findFiles(root: string, patterns: string[], field: 'clusters' | 'profiles', fleetFile: string, ref: YamlDocRef | undefined, errors: KilnError[], warnings: Warning[]): Promise<string[]> {
  const ok: string[] = [];
  patterns.forEach((p, i) => {
    if (path.isAbsolute(p) || p.split(/[\\/]/).includes('..')) {
      const at = ref?.locate(['spec', field, i]);
      errors.push(new KilnError(`glob "${p}" must stay inside the fleet repo`, { pos: at, field: `spec.${field}`, hint: 'write globs relative to the fleet root, without ".."' }));
    } else ok.push(p);
  });
  if (!ok.length) return [];
  const found = await glob(ok, { cwd: root, onlyFiles: true, dot: false, expandDirectories: false });
  const files: string[] = [];
  for (const rel of found.sort()) {
    try {
      const abs = resolveInRoot(root, rel, { field: `spec.${field}` });
      if (abs !== fleetFile) files.push(relToRoot(root, abs));
    } catch (e) {
      collect(errors, e instanceof KilnError && !e.pos ? new KilnError(e.message, { pos: { file: rel }, field: e.field, hint: e.hint }) : e);
    }
  }
  if (!files.length) warnings.push({ message: `no ${field === 'clusters' ? 'cluster' : 'profile'} files match ${ok.join(', ')}`, pos: ref?.locate(['spec', field]) });
  return files;
}

/** The documents of one cluster or profile file that are valid documents of `kind`; the others' problems go to `errors`. */
async function docsOf(root: string, rel: string, kind: Exclude<Kind, 'Fleet'>, errors: KilnError[], cache: ParseCache | undefined): Promise<LoadedDoc[]> {
  let text: string;
  let docs: LoadedDoc[];
  try {
    text = await readConfigText(path.join(root, rel), rel);
    const known = await cache?.get(text, rel, kind);
    if (known) return known; // checked by the schema when it was remembered
    docs = parseYamlDocs(text, rel);
  } catch (e) {
    collect(errors, e);
    return [];
  }
  const role = kind === 'Cluster' ? 'cluster' : 'profile';
  const valid = docs.filter((d) => checkDocument(d, kind, role, errors));
  if (valid.length < docs.length) return valid; // the run fails on the others' errors
  await cache?.put(text, kind, docs);
  // positions from here on only for messages: parsed again if one is asked for, not held all run
  return withLazyPositions(text, rel, valid);
}

/** Map shape, apiVersion and kind first (a wrong kind would make every field "unknown"), then the schema. */
function checkDocument(d: LoadedDoc, kind: Kind, role: string, errors: KilnError[]): boolean {
  const v = d.value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    errors.push(new KilnError(`a kiln document must be a map with apiVersion, kind, metadata and spec, got ${typeName(v)}`, { pos: d.ref.locate([]) }));
    return false;
  }
  const got = (v as Obj).kind;
  if (got !== kind && got !== undefined) {
    const where = { Fleet: 'kiln.yaml', Cluster: 'files matched by spec.clusters (clusters/*.yaml, *.yml)', Profile: 'files matched by spec.profiles (profiles/*.yaml, *.yml)' };
    const known = typeof got === 'string' && (KINDS as readonly string[]).includes(got);
    errors.push(
      new KilnError(known ? `a ${String(got)} document in a ${role} file` : `unknown kind ${JSON.stringify(got)} in a ${role} file`, {
        pos: d.ref.locate(['kind']),
        field: 'kind',
        hint: known ? `${String(got)} documents belong in ${where[got as Kind]}; this file holds kind: ${kind}` : joinHint(typeof got === 'string' ? didYouMean(got, [kind]) : '', `expected kind: ${kind}`),
      }),
    );
    return false;
  }
  const problems = validateDocument(kind, v, d.ref);
  errors.push(...problems);
  return problems.length === 0;
}

function patchesOf(spec: Obj, ref: YamlDocRef): PatchSpec[] {
  return ((spec.patches as Obj[] | undefined) ?? []).map((p, i) => ({ ...(p as unknown as PatchSpec), source: lazyPos(ref.file, () => ref.locate(['spec', 'patches', i])) }));
}

function toCluster(d: LoadedDoc): Cluster {
  const v = d.value as Obj;
  const meta = asObj(v.metadata);
  const spec = asObj(v.spec);
  return {
    name: meta.name as string,
    labels: (meta.labels as Record<string, string> | undefined) ?? {},
    environment: spec.environment as string,
    ...(spec.kubeVersion !== undefined ? { kubeVersion: spec.kubeVersion as string } : {}),
    apiVersions: (spec.apiVersions as string[] | undefined) ?? [],
    vars: (spec.vars as Obj | undefined) ?? {},
    patches: patchesOf(spec, d.ref),
    doc: d.ref,
  };
}

function toProfile(d: LoadedDoc): Profile {
  const v = d.value as Obj;
  const spec = asObj(v.spec);
  return {
    name: asObj(v.metadata).name as string,
    ...(spec.clusterSelector !== undefined ? { clusterSelector: spec.clusterSelector as Profile['clusterSelector'] } : {}),
    ...(spec.clusters !== undefined ? { clusters: spec.clusters as string[] } : {}),
    dependsOn: (spec.dependsOn as string[] | undefined) ?? [],
    tier: (spec.tier as number | undefined) ?? DEFAULT_TIER,
    spec,
    doc: d.ref,
  };
}

function toFleet(d: LoadedDoc, root: string, file: string, clusterGlobs: string[], profileGlobs: string[], clusters: Cluster[], profiles: Profile[]): FleetConfig {
  const v = d.value as Obj;
  const spec = asObj(v.spec);
  const output = asObj(spec.output);
  return {
    root,
    file,
    name: asObj(v.metadata).name as string,
    environments: ((spec.environments as Obj[] | undefined) ?? []).map((e) => ({ name: e.name as string, freeze: (e.freeze as Environment['freeze'] | undefined) ?? [] })),
    output: {
      branch: (output.branch as string | undefined) ?? DEFAULT_BRANCH,
      path: (output.path as string | undefined) ?? DEFAULT_OUTPUT_PATH,
      appliedBy: (output.appliedBy as Applier | undefined) ?? DEFAULT_APPLIER,
      ...(output.provenance === true ? { provenance: true } : {}),
      ...(output.branches === false ? { branches: false } : {}),
      ...(output.hydrator === true ? { hydrator: true } : {}),
      ...(output.oci ? { oci: { repository: asObj(output.oci).repository as string, insecure: asObj(output.oci).insecure === true, tag: (asObj(output.oci).tag as string | undefined) ?? 'latest' } } : {}),
    },
    clusterGlobs,
    profileGlobs,
    tools: (spec.tools as Partial<Record<ToolName, string>> | undefined) ?? {},
    checks: toChecks(asObj(spec.checks)),
    kindScopes: ((spec.kindScopes as Obj[] | undefined) ?? []).map((k, i) => ({ group: k.group as string, kind: k.kind as string, scope: k.scope as 'Cluster' | 'Namespaced', pos: d.ref.locate(['spec', 'kindScopes', i]) })),
    clusters,
    profiles,
    doc: d.ref,
  };
}

function toChecks(c: Obj): FleetConfig['checks'] {
  const policies = c.policies === false ? false : c.policies === true || c.policies === undefined ? 'policies' : String(c.policies);
  return {
    enabled: c.enabled !== false,
    schemas: c.schemas !== false,
    apis: c.apis !== false,
    policies,
    ...(typeof c.schemaDir === 'string' ? { schemaDir: c.schemaDir } : {}),
  };
}
