/**
 * What rendered Helm hooks and generateName objects become, by the controller that applies the
 * branch (`spec.output.appliedBy`). Argo CD maps `helm.sh/hook` onto its own sync hooks and creates
 * generateName objects as hooks, so it gets them as rendered. Flux applies every file as a plain
 * object on every reconcile (a pre-install Job would run again and again, a test Pod forever), and
 * cannot apply an object without a name at all: hooks need an explicit choice, generateName fails.
 */
import { KilnError } from '../errors.js';
import type { Applier, K8sObject } from '../model.js';
import { usesGenerateName } from './generate-name.js';
import { describeObject } from './keys.js';

export const HELM_HOOK = 'helm.sh/hook';

export interface HookPolicy {
  appliedBy: Applier;
  /** Only Helm components have hooks; other engines' objects pass through (generateName is still judged). */
  helm: boolean;
  /** The component's `hooks:`; unset means the applier's default. */
  hooks?: 'keep' | 'drop';
  /** `profile "x", component "y", cluster "z"`, for errors. */
  who: string;
  /** Given: what would fail is kept and reported here instead (a lenient render, fleet/session.ts). */
  warn?: (message: string) => void;
}

function hookTypes(o: K8sObject): string[] {
  const v = o.metadata.annotations?.[HELM_HOOK];
  return typeof v === 'string' ? v.split(',').map((h) => h.trim()).filter(Boolean) : [];
}

export function isTestHook(o: K8sObject): boolean {
  return hookTypes(o).some((h) => /^test(-|$)/.test(h));
}

/** Hooks other than tests (pre-install, post-upgrade, …). An object that is also a test hook counts as a test. */
function isOtherHook(o: K8sObject): boolean {
  const types = hookTypes(o);
  return types.length > 0 && !types.some((h) => /^test(-|$)/.test(h));
}

function fail(policy: HookPolicy, e: KilnError): void {
  if (!policy.warn) throw e;
  policy.warn(e.message);
}

/** The objects this component contributes to a branch applied by `policy.appliedBy`; throws on what it cannot apply. */
export function applyHookPolicy(objects: K8sObject[], policy: HookPolicy): K8sObject[] {
  const out: K8sObject[] = [];
  for (const o of objects) {
    if (policy.helm && isOtherHook(o)) {
      if (policy.hooks === 'drop') continue;
      if (policy.hooks === undefined && policy.appliedBy === 'flux') {
        fail(policy, new KilnError(`${policy.who}: ${describeObject(o)} is a Helm hook (${HELM_HOOK}: ${hookTypes(o).join(',')}), which Flux would apply as a plain object on every reconcile`, {
          hint: 'set hooks: drop on the helm component (or its profile) to leave hooks out, hooks: keep to apply them as plain objects, or spec.output.appliedBy: argocd in kiln.yaml if Argo CD applies these branches',
        }));
      }
    }
    if (usesGenerateName(o) && policy.appliedBy === 'flux') {
      const gk = o.apiVersion.includes('/') ? `${o.apiVersion.split('/')[0]}/${o.kind}` : o.kind;
      fail(policy, new KilnError(`${policy.who}: ${gk} with generateName "${String(o.metadata.generateName)}" uses metadata.generateName (no fixed name), which Flux cannot apply`, {
        hint: `give it a metadata.name${policy.helm ? ' or set hooks: drop if it is a Helm hook' : ''}, or set spec.output.appliedBy: argocd in kiln.yaml if Argo CD applies these branches`,
      }));
    }
    out.push(o);
  }
  return out;
}
