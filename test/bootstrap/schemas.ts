/**
 * Schema checks for bootstrap output:
 * 1. @kubernetes-models/flux-cd and /argo-cd (`.validate()`): generated from the controllers' API types;
 *    they check required fields, types, enums and some patterns (they accept unknown fields).
 * 2. Flux's duration format for interval/timeout (the CRDs' `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`), which
 *    the generated validators leave out.
 * Plus the ObjectMeta rules the API server applies that neither covers (name and namespace syntax).
 */
import { Application, ApplicationSet } from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import { GitRepository, OCIRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { Kustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import type { K8sObject } from '../../src/model.js';

type Model = { validate(): void };

const MODELS: Record<string, (o: K8sObject) => Model> = {
  'source.toolkit.fluxcd.io/v1 GitRepository': (o) => new GitRepository(o as never),
  'source.toolkit.fluxcd.io/v1 OCIRepository': (o) => new OCIRepository(o as never),
  'kustomize.toolkit.fluxcd.io/v1 Kustomization': (o) => new Kustomization(o as never),
  'argoproj.io/v1alpha1 Application': (o) => new Application(o as never),
  'argoproj.io/v1alpha1 ApplicationSet': (o) => new ApplicationSet(o as never),
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const FLUX_DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

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
  if (o.apiVersion.includes('fluxcd.io')) {
    const spec = (o.spec ?? {}) as Record<string, unknown>;
    for (const f of ['interval', 'timeout']) {
      if (spec[f] !== undefined && !(typeof spec[f] === 'string' && FLUX_DURATION.test(spec[f] as string))) problems.push(`spec.${f} ${JSON.stringify(spec[f])} does not match pattern of a Flux duration`);
    }
  }
  const { name = '', namespace, labels = {} } = o.metadata;
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
