/**
 * Secret values never reach a diff: each value becomes `REDACTED # (N bytes, h:xxxxxxxx)` where the
 * hash is an HMAC under a key drawn once per run. Within one report the marker changes exactly
 * when the value does (and equal values on different clusters read the same, so they still group);
 * it cannot be matched against guesses offline, as a plain hash of a short password could be.
 */
import { jsonText } from '../manifests/json-text.js';
import { createHmac, randomBytes } from 'node:crypto';
import type { K8sObject } from '../model.js';

/** Objects with this annotation set to "true" are masked whole (every value outside metadata). */
export const SENSITIVE_ANNOTATION = 'kiln.dev/sensitive';

export interface Masker {
  value(v: string, bytes: number): string;
}

export function createMasker(key: Buffer = randomBytes(32)): Masker {
  return {
    value: (v, bytes) => `REDACTED # (${bytes} bytes, h:${createHmac('sha256', key).update(v).digest('hex').slice(0, 8)})`,
  };
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Any kind named Secret, whatever its group: masking too much is the safe mistake. */
function isSecret(o: K8sObject): boolean {
  return o.kind === 'Secret';
}

function isSensitive(o: K8sObject): boolean {
  return String(o.metadata.annotations?.[SENSITIVE_ANNOTATION] ?? '') === 'true';
}

/** A copy of `o` with secret values replaced by markers; other objects are returned as they are. */
export function maskObject(o: K8sObject, m: Masker): K8sObject {
  if (isSecret(o)) {
    const out: K8sObject = { ...o, metadata: withoutLastApplied(o.metadata) };
    if (isMap(o.data)) out.data = maskMap(o.data, m, true);
    if (isMap(o.stringData)) out.stringData = maskMap(o.stringData, m, false);
    return out;
  }
  if (isSensitive(o)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = k === 'apiVersion' || k === 'kind' || k === 'metadata' ? v : maskDeep(v, m);
    return { ...(out as K8sObject), metadata: withoutLastApplied(o.metadata) };
  }
  return o;
}

function maskMap(data: Record<string, unknown>, m: Masker, base64: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const s = typeof v === 'string' ? v : jsonText(v ?? null);
    const bytes = base64 ? Buffer.from(s, 'base64').length : Buffer.byteLength(s);
    out[k] = m.value(s, bytes);
  }
  return out;
}

function maskDeep(v: unknown, m: Masker): unknown {
  if (Array.isArray(v)) return v.map((x) => maskDeep(x, m));
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskDeep(x, m)]));
  if (v === null || v === undefined) return v;
  const s = typeof v === 'string' ? v : jsonText(v);
  return m.value(s, Buffer.byteLength(s));
}

/** kubectl's last-applied annotation would repeat the values in clear. */
function withoutLastApplied(meta: K8sObject['metadata']): K8sObject['metadata'] {
  const a = meta.annotations;
  if (!a || !('kubectl.kubernetes.io/last-applied-configuration' in a)) return meta;
  const { ['kubectl.kubernetes.io/last-applied-configuration']: _drop, ...rest } = a;
  return { ...meta, annotations: { ...rest, 'kubectl.kubernetes.io/last-applied-configuration': 'REDACTED' } };
}

/** Keys of a masked map whose marker differs between two sides: values that changed. */
export function changedSecretKeys(before: K8sObject | undefined, after: K8sObject | undefined): string[] {
  const out: string[] = [];
  if (!(before && isSecret(before)) && !(after && isSecret(after))) return out;
  for (const field of ['data', 'stringData'] as const) {
    const a = isMap(before?.[field]) ? (before![field] as Record<string, unknown>) : {};
    const b = isMap(after?.[field]) ? (after![field] as Record<string, unknown>) : {};
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (k in a && k in b && a[k] !== b[k]) out.push(`${field}.${k}`);
    }
  }
  return out.sort();
}
