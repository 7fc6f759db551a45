/**
 * Two independent schema checks for bootstrap output:
 * 1. @kubernetes-models/flux-cd and /argo-cd (`.validate()`): generated from the controllers' Go API types;
 *    they check required fields, types, enums and some patterns, but accept unknown fields.
 * 2. The upstream CRDs' openAPIV3Schema (vendored in crds/, see crds/README.md), with ajv, where every
 *    object without x-kubernetes-preserve-unknown-fields rejects unknown fields, as `kubectl apply`'s
 *    strict field validation does. Adds the CRD patterns (e.g. Flux's duration pattern on interval).
 * Plus the ObjectMeta rules the API server applies that neither covers (name and namespace syntax).
 */
import { readFileSync } from 'node:fs';
import { Application, ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { K8sObject } from '../../src/model.js';

type Schema = Record<string, unknown>;
type Model = { validate(): void };

const MODELS: Record<string, (o: K8sObject) => Model> = {
  'source.toolkit.fluxcd.io/v1 GitRepository': (o) => new GitRepository(o as never),
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': (o) => new Kustomization(o as never),
  'argoproj.io/v1alpha1 Application': (o) => new Application(o as never),
  'argoproj.io/v1alpha1 ApplicationSet': (o) => new ApplicationSet(o as never),
};
const CRD_FILES: Record<string, string> = {
  'source.toolkit.fluxcd.io/v1 GitRepository': 'gitrepository.v1.json',
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': 'kustomization.v1.json',
  'argoproj.io/v1alpha1 Application': 'application.v1alpha1.json',
  'argoproj.io/v1alpha1 ApplicationSet': 'applicationset.v1alpha1.json',
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Structural-schema pruning made strict: unknown fields become errors instead of being dropped. */
function strict(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const n = node as Schema;
  const props = n.properties as Record<string, unknown> | undefined;
  if (props) {
    for (const p of Object.values(props)) strict(p);
    if (n.additionalProperties === undefined && !n['x-kubernetes-preserve-unknown-fields']) n.additionalProperties = false;
  }
  if (n.items) strict(n.items);
  if (n.additionalProperties && typeof n.additionalProperties === 'object') strict(n.additionalProperties);
  for (const k of ['allOf', 'anyOf', 'oneOf']) for (const s of (n[k] as unknown[] | undefined) ?? []) strict(s);
}

let ajv: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

function crdValidator(key: string): ValidateFunction {
  let v = compiled.get(key);
  if (v) return v;
  if (!ajv) {
    // strict: false ignores the x-kubernetes-* keywords; OpenAPI's int32/int64 are plain integers here
    ajv = new Ajv({ strict: false, allErrors: true, formats: { int32: true, int64: true } });
    (addFormatsModule as unknown as (a: Ajv) => void)(ajv);
  }
  const file = new URL(`./crds/${CRD_FILES[key]!}`, import.meta.url);
  const { schema } = JSON.parse(readFileSync(file, 'utf8')) as { schema: Schema };
  strict(schema);
  v = ajv.compile(schema);
  compiled.set(key, v);
  return v;
}

/** Every problem found with `o`, each as `check: message`; empty when it passes. */
export function schemaProblems(o: K8sObject): string[] {
  const key = `${o.apiVersion} ${o.kind}`;
  const model = MODELS[key];
  if (!model) return [`no schema for ${key}`];
  const problems: string[] = [];
  try {
    model(o).validate();
  } catch (e) {
    problems.push(`@kubernetes-models: ${(e as Error).message}`);
  }
  const v = crdValidator(key);
  if (!v(o)) for (const e of v.errors ?? []) problems.push(`CRD ${CRD_FILES[key]}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  const { name, namespace, labels = {} } = o.metadata;
  // Flux and Argo CD copy object names into label values, so they must be DNS-1123 labels (≤ 63)
  if (!DNS_LABEL.test(name) || name.length > 63) problems.push(`metadata.name ${JSON.stringify(name)} is not a DNS-1123 label`);
  if (namespace === undefined || !DNS_LABEL.test(namespace)) problems.push(`metadata.namespace ${JSON.stringify(namespace)} is not a DNS-1123 label`);
  for (const [k, val] of Object.entries(labels)) {
    if (!LABEL_VALUE.test(val) || val.length > 63) problems.push(`label ${k}=${JSON.stringify(val)} is not a valid label value`);
  }
  return problems;
}

/** An ApplicationSet's template for one list element, as Argo CD's goTemplate would fill it (only `{{.key}}`). */
export function instantiate(template: unknown, element: Record<string, string>): unknown {
  if (typeof template === 'string') {
    return template.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, k: string) => {
      const v = element[k];
      if (v === undefined) throw new Error(`missingkey=error: ${k}`);
      return v;
    });
  }
  if (Array.isArray(template)) return template.map((t) => instantiate(t, element));
  if (template && typeof template === 'object') return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, instantiate(v, element)]));
  return template;
}
