/**
 * The secret guard: a plain v1 Secret with `data`/`stringData` in a rendered branch is a credential
 * in git, readable by everyone who can read the branch. It fails the render unless the profile says
 * `spec.allowSecrets: true`; allowed values are masked everywhere but the object's own manifest file.
 */
import { KilnError } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import type { K8sObject } from '../model.js';
import type { ObjectOrigin } from './validate-objects.js';

const ADVICE = 'keep credentials out of git with SOPS, Sealed Secrets or External Secrets';

function payload(o: K8sObject): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const field of ['data', 'stringData'] as const) {
    const m = o[field];
    if (m && typeof m === 'object' && !Array.isArray(m)) for (const v of Object.values(m)) out.push([field, v]);
  }
  return out;
}

/** A core v1 Secret carrying values (an empty Secret, e.g. a token placeholder, is harmless). */
export function isPlainSecret(o: K8sObject): boolean {
  return o.apiVersion === 'v1' && o.kind === 'Secret' && payload(o).length > 0;
}

/** True when none of `objects` carries secret values: only then may they be written to a cache. */
export function secretFree(objects: readonly K8sObject[]): boolean {
  return !objects.some(isPlainSecret);
}

/**
 * Refuse plain Secrets unless `allow`; when allowed, return their values (as written and, for `data`,
 * base64-decoded) and register them so that no log line or error can print them.
 */
export function guardSecrets(objects: readonly K8sObject[], origin: ObjectOrigin, allow: boolean): Set<string> {
  const values = new Set<string>();
  for (const o of objects) {
    if (!isPlainSecret(o)) continue;
    if (!allow) {
      const ns = typeof o.metadata.namespace === 'string' ? `${o.metadata.namespace}/` : '';
      throw new KilnError(
        `profile "${origin.profile}", component "${origin.component}", cluster "${origin.cluster}": Secret ${ns}${o.metadata.name} would be written to git in plain text`,
        { hint: `${ADVICE}; or set spec.allowSecrets: true on profile "${origin.profile}" to accept it` },
      );
    }
    for (const [field, v] of payload(o)) {
      if (typeof v !== 'string' || !v) continue;
      values.add(v);
      if (field === 'data') values.add(Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  for (const v of values) registerSecret(v);
  return values;
}

/** `args` with every secret value replaced by `***` (provenance must not quote a credential). */
export function maskValues(args: readonly string[], values: ReadonlySet<string>): string[] {
  const long = [...values].filter((v) => v.length >= 6);
  if (!long.length) return [...args];
  return args.map((a) => long.reduce((s, v) => s.split(v).join('***'), a));
}
