/**
 * The Flux and Argo CD objects that point clusters at their rendered branches. The text lives in
 * templates/bootstrap/; it is filled with JSON-encoded values (valid YAML scalars, so no value can
 * break the document), parsed, and reserialized like every other object kiln writes.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { serializeObject } from '../manifests/serialize.js';
import type { K8sObject } from '../model.js';
import { fill, loadTemplate } from '../util/text-template.js';
import type { BootstrapSettings } from './inputs.js';

/** One selected cluster, as the bootstrap objects need it. */
export interface BootstrapTargetCluster {
  cluster: string;
  environment: string;
  branch: string;
  /** `output.path` for this cluster, normalised: no leading `./`, no trailing `/`. */
  path: string;
  /** Argo CD destination cluster name (hub mode). */
  destination: string;
  /** --source oci: the cluster's artifact repository and the moving tag to follow. */
  oci?: { url: string; insecure: boolean; tag: string };
}

/** A file's worth of objects plus the comment that says where to apply them. */
export interface BootstrapDoc {
  header: string;
  objects: K8sObject[];
}

const NAME_PREFIX = 'kiln';

/**
 * `kiln-<name>` as a DNS-1123 label of at most 63 characters (Flux and Argo CD copy object names into
 * label values). A name that had to be changed or cut gets a hash suffix so distinct clusters stay distinct.
 */
export function objectName(name: string): string {
  const want = `${NAME_PREFIX}-${name}`;
  const safe = want.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  if (safe === want && safe.length <= 63) return safe;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${safe.slice(0, 63 - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/**
 * The ApplicationSet's name: the fleet and what the run selected (`kiln-<fleet>-env-dev`), so runs with
 * different `--env`/`--cluster`/`--profile`/`--shard` write different objects (and files) instead of
 * one overwriting the other. Values are sorted (stable whatever the flag order); several values of one
 * flag, or a name too long for 63 characters, get objectName's hash suffix so names stay distinct.
 */
export function applicationSetName(fleetName: string, sel: { clusters?: string[]; envs?: string[]; profiles?: string[]; shard?: { index: number; total: number } }): string {
  const parts = [fleetName];
  const add = (what: string, values: string[] | undefined) => {
    if (values?.length) parts.push(`${what}-${[...new Set(values)].sort().join('_')}`);
  };
  add('env', sel.envs);
  add('cluster', sel.clusters);
  add('profile', sel.profiles);
  if (sel.shard) parts.push(`shard-${sel.shard.index}-of-${sel.shard.total}`);
  return objectName(parts.join('-'));
}

/** `./manifests/` → `manifests`; `.` stays `.` (the branch root). */
export function normalizeOutputPath(p: string): string {
  const n = path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  return n === '' ? '.' : n.replace(/^\.\/(?=.)/, '');
}

export function fluxObjects(s: BootstrapSettings, c: BootstrapTargetCluster): BootstrapDoc {
  if (c.oci) {
    return fromTemplate('bootstrap/flux-oci.yaml', {
      cluster: c.cluster,
      name: objectName(c.cluster),
      namespace: s.namespace,
      url: c.oci.url,
      tag: c.oci.tag,
      insecure: c.oci.insecure ? true : null,
      path: c.path === '.' ? './' : `./${c.path}`,
      interval: s.interval,
      timeout: s.timeout,
      secretRef: s.secretRef === undefined ? null : { name: s.secretRef },
      verify: s.verifySecret === undefined ? null : { provider: 'cosign', secretRef: { name: s.verifySecret } },
    });
  }
  return fromTemplate('bootstrap/flux.yaml', {
    cluster: c.cluster,
    name: objectName(c.cluster),
    namespace: s.namespace,
    url: s.repoUrl,
    branch: c.branch,
    // Flux resolves the path from the repository root and documents it as ./dir
    path: c.path === '.' ? './' : `./${c.path}`,
    interval: s.interval,
    timeout: s.timeout,
    secretRef: s.secretRef === undefined ? null : { name: s.secretRef },
  });
}

export function argoApplication(s: BootstrapSettings, c: BootstrapTargetCluster): BootstrapDoc {
  return fromTemplate(c.oci ? 'bootstrap/argocd-application-oci.yaml' : 'bootstrap/argocd-application.yaml', {
    cluster: c.cluster,
    name: objectName(c.cluster),
    namespace: s.namespace,
    url: c.oci?.url ?? s.repoUrl,
    ...(c.oci ? { tag: c.oci.tag } : { branch: c.branch }),
    path: c.path,
    destination: s.destination === 'in-cluster' ? { server: 'https://kubernetes.default.svc' } : { name: c.destination },
  });
}

/**
 * One ApplicationSet for a hub Argo CD; a list generator carries each cluster's branch and path, or
 * with --source oci its artifact repository and tag (each cluster has its own repository).
 */
export function argoApplicationSet(s: BootstrapSettings, name: string, clusters: BootstrapTargetCluster[]): BootstrapDoc {
  const oci = clusters.some((c) => c.oci);
  const elements = clusters.map((c) => ({
    cluster: c.cluster,
    environment: c.environment,
    name: objectName(c.cluster),
    ...(c.oci ? { url: c.oci.url, tag: c.oci.tag } : { branch: c.branch }),
    path: c.path,
    destination: c.destination,
  }));
  return fromTemplate(oci ? 'bootstrap/argocd-applicationset-oci.yaml' : 'bootstrap/argocd-applicationset.yaml', {
    name,
    namespace: s.namespace,
    url: s.repoUrl,
    elements,
  });
}

/** Header comment, then the objects as a multi-document YAML stream. */
export function docText(d: BootstrapDoc): string {
  return `${d.header}\n${d.objects.map(serializeObject).join('---\n')}`;
}

function fromTemplate(name: string, values: Record<string, unknown>): BootstrapDoc {
  const encoded = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.stringify(v ?? null)]));
  const text = fill(loadTemplate(name), encoded);
  const lines = text.split('\n');
  const firstContent = lines.findIndex((l) => !l.startsWith('#'));
  const header = lines.slice(0, firstContent).join('\n');
  const objects = parseAllDocuments(text).map((doc, i) => {
    // the template is kiln's own text: a parse error here is a bug, not user input
    if (doc.errors.length) throw new Error(`templates/${name} document ${i + 1}: ${doc.errors[0]!.message}`);
    return dropNulls(doc.toJS()) as K8sObject;
  });
  return { header, objects };
}

/** An optional field is filled as null (e.g. no secretRef) and left out of the object. */
function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, dropNulls(x)]));
  }
  return v;
}
