/**
 * JSON Schemas (draft-07) of kiln.yaml, cluster and profile documents (design §1). The files under
 * schemas/ are generated from these (a test keeps them in sync) so editors can validate too.
 * `x-hint` is an annotation kiln uses to explain a failed `pattern`.
 */
import type { Engine } from '../model.js';

export const API_VERSION = 'kiln.dev/v1alpha1';
export type Kind = 'Fleet' | 'Cluster' | 'Profile';
export const KINDS: readonly Kind[] = ['Fleet', 'Cluster', 'Profile'];
export const ENGINES: readonly Engine[] = ['helm', 'kustomize', 'jsonnet', 'ytt', 'manifests'];
export const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export const APPLIERS = ['flux', 'argocd'] as const;
export const HOOK_POLICIES = ['keep', 'drop'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_PART = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const LABEL_NAME = '(?=.{1,63}$)([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
/** Kubernetes label key: optional DNS-subdomain prefix (≤253) and `/`, then a name of ≤63 characters. */
export const LABEL_KEY = new RegExp(`^((?=[^/]{1,253}/)${DNS_PART}(\\.${DNS_PART})*/)?${LABEL_NAME}$`);
export const LABEL_VALUE = new RegExp(`^(${LABEL_NAME})?$`);

type S = Record<string, unknown>;

const str: S = { type: 'string' };
const nonEmpty: S = { type: 'string', minLength: 1 };
const bool: S = { type: 'boolean' };
const strList: S = { type: 'array', items: str };
/** Free-form maps: helm values, vars, jsonnet extVars/tlas, ytt dataValues. */
const freeMap: S = { type: 'object' };
const dnsName: S = {
  type: 'string',
  maxLength: 63,
  pattern: DNS_LABEL.source,
  'x-hint': 'a name is a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters',
};
const labelKey: S = {
  type: 'string',
  pattern: LABEL_KEY.source,
  'x-hint': 'a label key is an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
};
const labelsMap: S = {
  type: 'object',
  propertyNames: labelKey,
  additionalProperties: {
    type: 'string',
    pattern: LABEL_VALUE.source,
    'x-hint': 'a label value is empty or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  },
};
const stringMap: S = { type: 'object', additionalProperties: str };

function obj(properties: Record<string, S>, required: string[] = [], extra: S = {}): S {
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false, ...extra };
}
function list(items: S, extra: S = {}): S {
  return { type: 'array', items, ...extra };
}

const metadata = obj({ name: dnsName, labels: labelsMap, annotations: stringMap }, ['name']);

export const patchSchema: S = obj(
  {
    target: obj({ group: str, version: str, kind: str, name: str, namespace: str, labelSelector: str, annotationSelector: str }),
    patch: { type: ['object', 'array', 'string'] },
    // a target matching nothing is an error unless the patch is optional (src/patch/targets.ts)
    optional: bool,
  },
  ['patch'],
);

const selector = obj({
  matchLabels: labelsMap,
  matchExpressions: list(obj({ key: labelKey, operator: { enum: [...OPERATORS] }, values: strList }, ['key', 'operator'])),
});

const valuesFile: S = {
  // a path, or {path, optional}; object keywords apply only when it is a map
  type: ['string', 'object'],
  properties: { path: nonEmpty, optional: bool },
  required: ['path'],
  additionalProperties: false,
};

const engines: Record<Engine, S> = {
  helm: obj(
    {
      chart: nonEmpty,
      repo: str,
      version: str,
      releaseName: str,
      namespace: str,
      values: freeMap,
      valuesFiles: list(valuesFile),
      includeCRDs: bool,
      skipTests: bool,
      insecure: bool,
      // what Helm hooks other than tests become (src/manifests/hooks.ts); required for Flux when the chart has any
      hooks: { enum: [...HOOK_POLICIES] },
    },
    ['chart'],
  ),
  kustomize: obj({ path: nonEmpty }, ['path']),
  jsonnet: obj({ file: nonEmpty, extVars: freeMap, tlas: freeMap, jpath: strList }, ['file']),
  ytt: obj({ paths: list(nonEmpty, { minItems: 1 }), dataValues: freeMap, dataValuesFiles: strList }, ['paths']),
  manifests: obj({ paths: list(nonEmpty, { minItems: 1 }) }, ['paths']),
};

const component = obj({ name: dnsName, ...engines }, ['name'], {
  oneOf: ENGINES.map((e) => ({ required: [e] })),
});

const hhmm: S = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', 'x-hint': 'a time of day is HH:MM, 00:00 to 23:59' };
const freezeWindow = obj(
  {
    start: str,
    end: str,
    weekly: obj({ days: list({ enum: WEEKDAYS }, { minItems: 1 }), from: hhmm, to: hhmm, timezone: str }, ['days', 'from', 'to']),
    reason: nonEmpty,
  },
  ['reason'],
);

const globs: S = { type: ['string', 'array'], items: nonEmpty, minLength: 1 };

function document(kind: Kind, spec: S, description: string): S {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://kiln.dev/schemas/${kind.toLowerCase()}.schema.json`,
    title: `kiln ${kind}`,
    description,
    ...obj({ apiVersion: { const: API_VERSION }, kind: { const: kind }, metadata, spec }, ['apiVersion', 'kind', 'metadata', 'spec']),
  };
}

export const schemas: Record<Kind, S> = {
  Fleet: document(
    'Fleet',
    obj(
      {
        environments: list(obj({ name: dnsName, freeze: list(freezeWindow) }, ['name']), { minItems: 1 }),
        output: obj({
          branch: nonEmpty,
          path: nonEmpty,
          appliedBy: { enum: [...APPLIERS] },
          // .kiln/provenance.json: an in-toto statement with an SLSA provenance predicate
          provenance: bool,
          // OCI artifacts in Flux's format per cluster, beside the branches
          // false: no rendered branches, output.oci artifacts only (src/oci/artifacts-only.ts)
          branches: bool,
          // Argo CD Source Hydrator layout for GitOps Promoter: <branch>-next + hydrator.metadata (src/publish/hydrator.ts)
          hydrator: bool,
          oci: obj({ repository: nonEmpty, insecure: bool, tag: { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$', 'x-hint': 'an OCI tag: letters, digits, "_", "." and "-", at most 128, not starting with "." or "-"' } }, ['repository']),
        }),
        clusters: globs,
        profiles: globs,
        tools: obj({ helm: nonEmpty, kustomize: nonEmpty, jsonnet: nonEmpty, ytt: nonEmpty }),
        // checks before publishing (src/check/): off as a whole, or one by one; policies: a dir of .rego or false
        checks: obj({ enabled: bool, schemas: bool, apis: bool, policies: { type: ['string', 'boolean'], minLength: 1 }, schemaDir: nonEmpty }),
        // the default for clusters without their own spec.kubeVersion (src/fleet/kube-version.ts)
        kubeVersion: nonEmpty,
        // the scope of custom kinds whose CRD the fleet does not render (src/fleet/kind-scopes.ts)
        kindScopes: list(obj({ group: str, kind: nonEmpty, scope: { enum: ['Cluster', 'Namespaced'] } }, ['group', 'kind', 'scope'])),
      },
      ['environments'],
    ),
    'kiln.yaml: environments in promotion order, where rendered output goes, where clusters and profiles live',
  ),
  Cluster: document(
    'Cluster',
    obj({ environment: nonEmpty, kubeVersion: nonEmpty, apiVersions: strList, vars: freeMap, patches: list(patchSchema) }, ['environment']),
    'A cluster: labels to select on, its environment, Kubernetes version and free-form vars',
  ),
  Profile: document(
    'Profile',
    obj(
      {
        clusterSelector: selector,
        clusters: list(dnsName),
        components: list(component, { minItems: 1 }),
        namespace: str,
        patches: list(patchSchema),
        dependsOn: list(dnsName),
        tier: { type: 'integer' },
        // plain v1 Secrets with data are refused unless the profile opts in (src/manifests/secrets.ts)
        allowSecrets: bool,
        // selecting no cluster is an error unless the profile says it may (src/config/checks.ts)
        allowEmpty: bool,
        // emit the Namespace objects its components use (src/manifests/create-namespaces.ts)
        createNamespaces: bool,
        // field patterns (as `kiln diff --ignore`) a diff leaves out of this profile's objects; publish writes them
        diffIgnore: list(nonEmpty),
        // default `hooks:` of the profile's helm components (a component's own wins)
        hooks: { enum: [...HOOK_POLICIES] },
      },
      ['components'],
    ),
    'A profile: which clusters get it and the components rendered for each',
  ),
};
