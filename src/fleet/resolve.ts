/** A profile templated for one cluster: defaults applied, every path confined to the fleet repo and checked to exist. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import semverValid from 'semver/functions/valid.js';
import { isDynamicPattern } from 'tinyglobby';
import { KilnError, KilnErrors } from '../errors.js';
import type { Cluster, Component, DocRef, FleetConfig, JsonPath, PatchSpec, PatchTarget, Profile, ResolvedProfile, ValuesFile } from '../model.js';
import { closest, formatField, joinHint, typeName } from '../config/fields.js';
import { ENGINES } from '../config/schema-defs.js';
import { lazyPos } from '../config/yaml-doc.js';
import { resolveInRoot, statMemo } from '../util/paths.js';
import { clusterScope, templateValue, type TemplateScope } from './template.js';

type Obj = Record<string, unknown>;
type Kind = 'file' | 'dir' | 'any';

/** What every check needs: where the profile came from and which cluster it is being templated for. */
interface Ctx {
  root: string;
  doc: DocRef;
  cluster: Cluster;
  scope: TemplateScope;
  errors: KilnError[];
}

function fail(ctx: Ctx, at: JsonPath, message: string, hint?: string): void {
  ctx.errors.push(new KilnError(message, { pos: ctx.doc.locate(at), field: formatField(at), hint }));
}

function collect(ctx: Ctx, e: unknown): void {
  if (e instanceof KilnErrors) ctx.errors.push(...e.errors);
  else if (e instanceof KilnError) ctx.errors.push(e);
  else throw e;
}

function template(ctx: Ctx, value: unknown, at: JsonPath): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: templateValue(value, ctx.scope, { doc: ctx.doc, path: at }) };
  } catch (e) {
    collect(ctx, e);
    return { ok: false };
  }
}

/** A string field after templating: an exact expression may have produced a number or bool (fine) or a map (not). */
function str(ctx: Ctx, v: unknown, at: JsonPath): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  fail(ctx, at, `must be a string after templating, got ${typeName(v)}`, `templated for cluster "${ctx.cluster.name}"`);
  return undefined;
}

const WHAT: Record<Kind, string> = { file: 'a file', dir: 'a directory', any: 'a file or directory' };

/** Confine `rel` to the repo (lexically and through symlinks); with `must`, also require it to exist as that kind. */
function checkPath(ctx: Ctx, rel: string | undefined, at: JsonPath, what: string, must: Kind | false): void {
  if (rel === undefined) return;
  const field = formatField(at);
  // only an error reads it: looked up then (a profile is resolved for every cluster)
  const pos = lazyPos(ctx.doc.file, () => ctx.doc.locate(at));
  let abs: string;
  try {
    abs = resolveInRoot(ctx.root, rel, { field, pos });
  } catch (e) {
    collect(ctx, e);
    return;
  }
  if (!must) return;
  const st = statMemo(abs);
  const forCluster = `for cluster "${ctx.cluster.name}"`;
  if (!st) {
    fail(ctx, at, `${what} "${rel}" does not exist (${forCluster})`, joinHint(nearestPath(abs, rel), 'paths are relative to the fleet repo root'));
  } else if ((must === 'dir' && !st.isDirectory()) || (must === 'file' && !st.isFile())) {
    fail(ctx, at, `${what} "${rel}" is not ${WHAT[must]} (${forCluster})`);
  }
}

/** `did you mean "charts/web"?` when a sibling of the missing path's last part is a likely typo. */
function nearestPath(abs: string, rel: string): string | undefined {
  const dir = path.dirname(abs);
  if (!statMemo(dir)?.isDirectory()) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined;
  }
  const near = closest(path.basename(abs), entries);
  return near === undefined ? undefined : `did you mean "${path.posix.join(path.posix.dirname(rel), near)}"?`;
}

function stringList(ctx: Ctx, v: unknown, at: JsonPath): string[] {
  return ((v as unknown[] | undefined) ?? []).map((x, i) => str(ctx, x, [...at, i])).filter((x): x is string => x !== undefined);
}

function helm(ctx: Ctx, name: string, h: Obj, at: JsonPath): Component {
  const chart = str(ctx, h.chart, [...at, 'chart']) ?? '';
  const repo = str(ctx, h.repo, [...at, 'repo']);
  const version = str(ctx, h.version, [...at, 'version']);
  const remote = chart.startsWith('oci://') || repo !== undefined;
  if (repo !== undefined && !/^(https?|oci):\/\/\S+$/.test(repo)) {
    fail(ctx, [...at, 'repo'], `repo "${repo}" is not an http(s):// or oci:// URL`, 'for a chart inside the fleet repo, drop repo and set chart to its path');
  }
  if (remote) {
    if (version === undefined || !semverValid(version.replace(/^v(?=\d)/, ''))) {
      fail(ctx, version === undefined ? at : [...at, 'version'], `remote chart "${chart}" needs a pinned version${version === undefined ? '' : `, got "${version}"`}`, 'pin a chart version: set version to an exact release such as 1.2.3');
    }
  } else {
    checkPath(ctx, chart, [...at, 'chart'], 'chart', 'any');
  }
  const valuesFiles: ValuesFile[] = [];
  ((h.valuesFiles as unknown[] | undefined) ?? []).forEach((vf, i) => {
    const o = vf !== null && typeof vf === 'object' ? (vf as Obj) : { path: vf };
    const vat = typeof vf === 'object' ? [...at, 'valuesFiles', i, 'path'] : [...at, 'valuesFiles', i];
    const p = str(ctx, o.path, vat);
    if (p === undefined) return;
    const optional = o.optional === true;
    checkPath(ctx, p, vat, 'values file', optional ? false : 'file');
    valuesFiles.push({ path: p, optional });
  });
  const namespace = str(ctx, h.namespace, [...at, 'namespace']);
  return {
    name,
    engine: 'helm',
    spec: {
      chart,
      ...(repo !== undefined ? { repo } : {}),
      ...(version !== undefined ? { version } : {}),
      releaseName: str(ctx, h.releaseName, [...at, 'releaseName']) ?? name,
      ...(namespace !== undefined ? { namespace } : {}),
      values: (h.values as Obj | undefined) ?? {},
      valuesFiles,
      includeCRDs: h.includeCRDs !== false,
      skipTests: h.skipTests !== false,
      insecure: h.insecure === true,
      ...(h.hooks === 'keep' || h.hooks === 'drop' ? { hooks: h.hooks } : {}),
    },
  };
}

function component(ctx: Ctx, c: Obj, at: JsonPath): Component | undefined {
  const name = String(c.name);
  const engine = ENGINES.find((e) => c[e] !== undefined);
  if (!engine) return undefined; // the schema reported it
  const s = c[engine] as Obj;
  const eat: JsonPath = [...at, engine];
  switch (engine) {
    case 'helm':
      return helm(ctx, name, s, eat);
    case 'kustomize': {
      const p = str(ctx, s.path, [...eat, 'path']) ?? '';
      checkPath(ctx, p, [...eat, 'path'], 'kustomization directory', 'dir');
      return { name, engine, spec: { path: p } };
    }
    case 'jsonnet': {
      const file = str(ctx, s.file, [...eat, 'file']) ?? '';
      checkPath(ctx, file, [...eat, 'file'], 'jsonnet file', 'file');
      const jpath = stringList(ctx, s.jpath, [...eat, 'jpath']);
      jpath.forEach((j, i) => checkPath(ctx, j, [...eat, 'jpath', i], 'jsonnet library directory', 'dir'));
      return { name, engine, spec: { file, extVars: (s.extVars as Obj | undefined) ?? {}, tlas: (s.tlas as Obj | undefined) ?? {}, jpath } };
    }
    case 'ytt': {
      const paths = stringList(ctx, s.paths, [...eat, 'paths']);
      paths.forEach((p, i) => checkPath(ctx, p, [...eat, 'paths', i], 'ytt path', 'any'));
      const dataValuesFiles = stringList(ctx, s.dataValuesFiles, [...eat, 'dataValuesFiles']);
      dataValuesFiles.forEach((p, i) => checkPath(ctx, p, [...eat, 'dataValuesFiles', i], 'ytt data values file', 'any'));
      return { name, engine, spec: { paths, dataValues: (s.dataValues as Obj | undefined) ?? {}, dataValuesFiles } };
    }
    case 'manifests': {
      const paths = stringList(ctx, s.paths, [...eat, 'paths']);
      paths.forEach((p, i) => {
        const pat: JsonPath = [...eat, 'paths', i];
        if (!isDynamicPattern(p)) return checkPath(ctx, p, pat, 'manifests path', 'any');
        // globs are matched at render time; here only their shape can be confined
        if (p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p)) fail(ctx, pat, `absolute glob "${p}" is not allowed`, 'write paths relative to the fleet repo root');
        else if (p.split(/[\\/]/).includes('..')) fail(ctx, pat, `glob "${p}" leads outside the fleet repo`, 'every referenced file must live inside the fleet repo');
      });
      return { name, engine, spec: { paths } };
    }
  }
}

function patches(ctx: Ctx, raw: unknown): PatchSpec[] {
  const out: PatchSpec[] = [];
  ((raw as unknown[] | undefined) ?? []).forEach((p, i) => {
    const at: JsonPath = ['spec', 'patches', i];
    const t = template(ctx, p, at);
    if (!t.ok) return;
    const o = t.value as Obj;
    out.push({ ...(o.target !== undefined ? { target: o.target as PatchTarget } : {}), patch: o.patch, ...(o.optional === true ? { optional: true } : {}), source: lazyPos(ctx.doc.file, () => ctx.doc.locate(at)) });
  });
  return out;
}

/** Template `profile` for `cluster`; throws one KilnError, or KilnErrors when there are several. */
export function resolveProfile(profile: Profile, cluster: Cluster, fleet: FleetConfig): ResolvedProfile {
  const ctx: Ctx = { root: fleet.root, doc: profile.doc, cluster, scope: clusterScope(cluster), errors: [] };
  const components: Component[] = [];
  ((profile.spec.components as unknown[] | undefined) ?? []).forEach((raw, i) => {
    const at: JsonPath = ['spec', 'components', i];
    const t = template(ctx, raw, at);
    const c = t.ok ? component(ctx, t.value as Obj, at) : undefined;
    if (c) components.push(c);
  });
  let namespace: string | undefined;
  if (profile.spec.namespace !== undefined) {
    const t = template(ctx, profile.spec.namespace, ['spec', 'namespace']);
    namespace = t.ok ? str(ctx, t.value, ['spec', 'namespace']) : undefined;
    if (namespace !== undefined && (namespace.length > 63 || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace))) {
      fail(ctx, ['spec', 'namespace'], `namespace "${namespace}" is not a valid Kubernetes namespace (for cluster "${cluster.name}")`, 'lowercase letters, digits and "-", at most 63 characters');
    }
  }
  // the profile's hooks: is the default of its helm components; a component's own wins
  const hooks = profile.spec.hooks;
  if (hooks === 'keep' || hooks === 'drop') for (const c of components) if (c.engine === 'helm' && c.spec.hooks === undefined) c.spec.hooks = hooks;
  const resolvedPatches = patches(ctx, profile.spec.patches);
  if (ctx.errors.length === 1) throw ctx.errors[0]!;
  if (ctx.errors.length > 1) throw new KilnErrors(ctx.errors);
  return {
    name: profile.name,
    tier: profile.tier,
    dependsOn: profile.dependsOn,
    ...(namespace !== undefined ? { namespace } : {}),
    components,
    patches: resolvedPatches,
    ...(profile.spec.allowSecrets === true ? { allowSecrets: true } : {}),
    ...(profile.spec.createNamespaces === true ? { createNamespaces: true } : {}),
    doc: profile.doc,
  };
}
