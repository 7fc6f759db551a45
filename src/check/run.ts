/**
 * Checks one cluster's rendered files before anything is published: every object against the OpenAPI
 * of the cluster's Kubernetes minor (or its CRD), against the removed/deprecated API table, and the
 * fleet's policies. Results are keyed by content (schema set or CRD id + the object file's bytes), so
 * an object rendered identically for a thousand clusters is parsed and checked once per run. Schema
 * verdicts stay in the run (a validation costs less than reading a cache file, and the parse that
 * costs more is needed anyway); conftest verdicts also persist in the disk cache (a process each).
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { parse } from 'yaml';
import { KilnError } from '../errors.js';
import { parseK8sYaml } from '../manifests/parse.js';
import { readBackValue } from '../manifests/serialize.js';
import { blobIdOf } from '../git/objects.js';
import type { Cluster, FleetChecks, FleetConfig, K8sObject } from '../model.js';
import type { CheckCache, CheckStats } from './cache.js';
import { apiVerdict } from './deprecations.js';
import type { ClusterCheck, Finding } from './model.js';
import { clusterData, findConftest, loadPolicySet, runPolicies, type PolicyResult, type PolicyRunOptions, type PolicySet } from './policies.js';
import { crdSchemas, openSchemaSets, schemaDirCrds, schemaSetsDir, type CrdSchema, type SchemaSets } from './schemas.js';
import { validateStructural, type SchemaIssue } from './structural.js';

/** `spec.checks`: `enabled` (all; `--no-check` turns it off for one run), `schemas`, `apis`, `policies`, `schemaDir`. */
export type ChecksConfig = FleetChecks;

export interface CheckerOptions {
  /** A Kubernetes version without schemas is an error instead of a warning (`kiln check --strict`). */
  strict: boolean;
  tmpDir: string;
  timeoutMs: number;
  limit?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The render session's process scope, so an interrupt kills conftest as it kills the render tools. */
  exec?: PolicyRunOptions['exec'];
  env?: NodeJS.ProcessEnv;
  /** Results kept across runs (cache.ts); absent: within this run only. */
  cache?: CheckCache;
}

export interface Checker {
  config: ChecksConfig;
  /** The policies found (undefined: none, or turned off). */
  policies?: PolicySet;
  /** `writtenFrom`: path → the object the render wrote a file from; its value is read off it where that is exact (no parse). */
  check(cluster: Cluster, outputPath: string, files: ReadonlyMap<string, string>, writtenFrom?: ReadonlyMap<string, K8sObject>): Promise<ClusterCheck>;
  /** Objects parsed, validations run and shared within the run, conftest runs and cache hits. */
  stats: CheckStats;
}

interface Ident {
  apiVersion: string;
  kind: string;
  object: string;
}

/** One object file of a cluster being checked; `source`: the object the render wrote it from. */
interface Checked {
  file: string;
  rel: string;
  profile: string;
  text: string;
  hash: string;
  id: Ident;
  source?: K8sObject;
}

/**
 * How many object values (parsed, or the render's) a run keeps for validation against a further schema set or as CRDs: enough
 * that a fleet's distinct objects are parsed once whatever order its clusters finish in, bounded because
 * a fleet of 10,000 clusters may render as many distinct files (beyond it an object is parsed again).
 */
const KEEP_VALUES = 1024;

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

/** Groups only the API server itself serves (core and dot-less groups): an unknown kind there is a typo. */
const builtinGroup = (apiVersion: string) => !apiVersion.includes('/') || !apiVersion.split('/')[0]!.includes('.');

export async function createChecker(fleet: FleetConfig, cfg: ChecksConfig, opts: CheckerOptions): Promise<Checker> {
  const env = opts.env ?? process.env;
  const sets: SchemaSets = await openSchemaSets(schemaSetsDir(env));
  const extraCrds = cfg.schemaDir ? await schemaDirCrds(fleet.root, cfg.schemaDir) : new Map<string, CrdSchema>();
  const policies = cfg.policies ? await loadPolicySet(fleet.root, cfg.policies) : undefined;
  const conftest = policies ? await findConftest(env) : undefined;
  if (policies && !conftest) {
    throw new KilnError(`${policies.name}/ holds Rego policies but conftest was not found`, { hint: 'run `kiln tools install conftest` (or `npm run setup` in a kiln checkout), set KILN_CONFTEST, or turn policies off with spec.checks.policies: false' });
  }
  // the state of this run's checks, keyed by content
  const idents = new Map<string, Ident>();
  const issues = new Map<string, SchemaIssue[]>();
  const stats: CheckStats = { objects: 0, parsed: 0, schemaRuns: 0, schemaShared: 0, policyRuns: 0, policyCached: 0 };
  // CRD schemas by the CRD file's content: a CRD rendered for every cluster is parsed and read once
  const crdsOf = new Map<string, Map<string, CrdSchema>>();
  const conftestId = conftest ? await realpath(conftest).catch(() => conftest) : undefined;
  /** Conftest verdicts: the persistent cache first, then the run itself (its result cached). */
  const remembered = async <T>(parts: unknown[], work: () => Promise<T>): Promise<T> => {
    const hit = await opts.cache?.get<T>(parts);
    if (hit !== undefined) {
      stats.policyCached++;
      return hit;
    }
    stats.policyRuns++;
    const v = await work();
    await opts.cache?.put(parts, v);
    return v;
  };
  const policyRuns = new Map<string, Promise<PolicyResult[]>>();
  const profileFiles = new Map(fleet.profiles.map((p) => [p.name, p.doc.file]));
  const range = sets.minors.length ? `${sets.minors[0]}–${sets.minors.at(-1)}` : 'none installed';

  /** The value a file reads back as: off the object it was written from where that is exact, else parsed (and counted). */
  const readBack = (text: string, source: string, from: K8sObject | undefined): unknown => {
    const known = from && readBackValue(from);
    if (known) return known;
    stats.parsed++;
    return parseK8sYaml(text, { source })[0];
  };
  const identOf = (hash: string, text: string, file: string, from: K8sObject | undefined): Ident => {
    let id = idents.get(hash);
    if (!id) {
      const value = (readBack(text, file, from) ?? null) as Record<string, unknown> | null;
      const md = (value?.metadata ?? {}) as { name?: string; namespace?: string };
      const kind = String(value?.kind ?? '');
      if (!value) throw new KilnError(`${file}: not a Kubernetes object`);
      id = { apiVersion: String(value.apiVersion ?? ''), kind, object: `${kind} ${md.namespace ? `${md.namespace}/` : ''}${md.name ?? '?'}` };
      idents.set(hash, id);
      keep(hash, value);
    }
    return id;
  };
  const values = new Map<string, unknown>();
  const keep = (hash: string, value: unknown) => {
    values.set(hash, value);
    if (values.size > KEEP_VALUES) values.delete(values.keys().next().value!);
  };
  const valueOf = (o: Checked) => {
    let v = values.get(o.hash);
    if (v === undefined) keep(o.hash, (v = readBack(o.text, o.id.object, o.source)));
    return v;
  };
  const crdsIn = (o: Checked) => {
    let m = crdsOf.get(o.hash);
    if (!m) crdsOf.set(o.hash, (m = crdSchemas([{ value: valueOf(o), source: o.file, id: o.hash }])));
    return m;
  };
  const sourceOf = (profile: string) => (profileFiles.has(profile) ? { source: profileFiles.get(profile)! } : {});

  return {
    config: cfg,
    policies,
    stats,
    async check(cluster, outputPath, files, writtenFrom) {
      // no kubeVersion: Helm renders for its default, kiln checks against the newest schemas it has
      const version = cluster.kubeVersion ?? sets.minors.at(-1);
      // awaited first: from the parse to the last validation a cluster's check is synchronous, so the
      // cluster that parses an object also validates it and no other cluster parses it again
      const set = cfg.enabled && version ? await sets.forVersion(version) : undefined;
      const prefix = `${outputPath}/`;
      const objects: Checked[] = [];
      for (const [file, text] of files) {
        if (!file.startsWith(prefix)) continue;
        const rel = file.slice(prefix.length);
        // the file's git blob id: the tree id and fast-import computed it already (a memo lookup, not another SHA-1)
        const hash = blobIdOf(text, true);
        const source = writtenFrom?.get(file);
        objects.push({ file, rel, profile: rel.split('/')[0]!, text, hash, id: identOf(hash, text, file, source), source });
      }
      stats.objects += objects.length;
      const findings: Finding[] = [];
      const unchecked = new Set<string>();
      const result: ClusterCheck = { cluster: cluster.name, environment: cluster.environment, ...(cluster.kubeVersion ? { kubeVersion: cluster.kubeVersion } : {}), objects: objects.length, unchecked: [], findings };
      if (!cfg.enabled) return result;
      if (set) result.schemaSet = set.minor;
      if (cfg.schemas && !set) {
        const why = sets.minors.length
          ? `kubeVersion ${cluster.kubeVersion} is outside the Kubernetes versions kiln has schemas for (${range})`
          : `no Kubernetes schemas are installed (run \`kiln tools install k8s-openapi\`, or set KILN_K8S_OPENAPI_DIR)`;
        findings.push({ check: 'version', severity: opts.strict ? 'error' : 'warning', cluster: cluster.name, source: cluster.doc.file, message: `${why}: built-in kinds were not schema-checked` });
      }
      const crds = new Map(extraCrds);
      if (cfg.schemas) for (const o of objects) if (o.id.kind === 'CustomResourceDefinition') for (const [gvk, c] of crdsIn(o)) crds.set(gvk, c);

      for (const o of objects) {
        const base = { cluster: cluster.name, profile: o.profile, object: o.id.object, apiVersion: o.id.apiVersion, file: o.file, ...sourceOf(o.profile) };
        if (cfg.apis) {
          const v = apiVerdict(o.id.apiVersion, o.id.kind, version);
          if (v) findings.push({ ...base, check: 'api', severity: v.severity, message: v.message });
          if (v?.severity === 'error') continue; // not served: its schema is not there to check against
        }
        if (!cfg.schemas) continue;
        const gvk = `${o.id.apiVersion}/${o.id.kind}`;
        const crd = crds.get(gvk);
        const def = set?.gvk[gvk];
        let key: string;
        let run: () => SchemaIssue[];
        if (def && set) {
          key = `${set.id}|${o.hash}`;
          run = () => validateStructural(valueOf(o), { $ref: def }, set.defs);
        } else if (crd) {
          key = `crd:${crd.id}|${set?.id ?? ''}|${o.hash}`;
          run = () => validateStructural(valueOf(o), crd.schema, set?.defs ?? {});
        } else {
          if (set && builtinGroup(o.id.apiVersion)) {
            findings.push({ ...base, check: 'schema', severity: 'error', message: `Kubernetes ${set.minor} serves no ${o.id.kind} in ${o.id.apiVersion || '(no apiVersion)'}` });
          } else unchecked.add(`${gvk}`);
          continue;
        }
        let found = issues.get(key);
        if (found) stats.schemaShared++;
        else {
          stats.schemaRuns++;
          issues.set(key, (found = run()));
        }
        for (const i of found) findings.push({ ...base, check: 'schema', severity: 'error', path: i.path, message: `${i.message}${crd && !def ? ` (CRD from ${crd.source})` : ''}` });
      }
      result.unchecked = [...unchecked].sort();

      if (policies && conftest) {
        const inputs = new Map(objects.map((o) => [o.rel, o.text]));
        const key = sha1(JSON.stringify([policies.id, clusterData(cluster), objects.map((o) => [o.rel, o.hash]), conftestId]));
        let p = policyRuns.get(key);
        if (!p) policyRuns.set(key, (p = remembered(['policy', key], () => runPolicies(policies, cluster, inputs, { conftest, tmpDir: opts.tmpDir, timeoutMs: opts.timeoutMs, limit: opts.limit, exec: opts.exec }))));
        const byRel = new Map(objects.map((o) => [o.rel, o]));
        for (const r of await p) {
          const o = byRel.get(r.file);
          findings.push({ check: 'policy', severity: r.severity, cluster: cluster.name, ...(o ? { profile: o.profile, object: o.id.object, apiVersion: o.id.apiVersion, file: o.file, ...sourceOf(o.profile) } : {}), message: r.message });
        }
      }
      return result;
    },
  };
}
