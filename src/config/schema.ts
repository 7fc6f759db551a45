/** Schema validation of one config document, with ajv's errors turned into one readable KilnError per problem. */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, Options, ValidateFunction } from 'ajv';
import { KilnError } from '../errors.js';
import type { JsonPath } from '../model.js';
import { closest, didYouMean, formatField, joinHint, typeName } from './fields.js';
import { API_VERSION, ENGINES, KINDS, schemas, type Kind } from './schema-defs.js';
import type { YamlDocRef } from './yaml-doc.js';

export { API_VERSION, KINDS, schemas, type Kind } from './schema-defs.js';

/**
 * verbose: errors carry their schema, which names allowed fields and pattern hints. The schemas are
 * kiln's own and checked against the meta-schema by a test, so every run does not pay for that check
 * nor for optimising the generated code (together ~40 % of the compile, which every command pays).
 */
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, keywords: ['x-hint'], validateSchema: false, code: { optimize: false } };

let validators: Map<Kind, ValidateFunction> | undefined;

function validatorFor(kind: Kind): ValidateFunction {
  if (!validators) {
    // required on first use, not imported: ajv is ~60 modules, and a run whose config files all come
    // from the parse cache (a re-publish) validates nothing
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    const ajv = new Ajv(AJV_OPTIONS);
    validators = new Map(KINDS.map((k) => [k, ajv.compile(schemas[k])]));
  }
  return validators.get(kind)!;
}

/** Every schema problem of a document of `kind` (the caller checked `kind` already). */
export function validateDocument(kind: Kind, value: unknown, ref: YamlDocRef): KilnError[] {
  const validate = validatorFor(kind);
  if (validate(value)) return [];
  return convertErrors(validate.errors ?? [], value, ref);
}

/** `/spec/components/0/helm` → `['spec', 'components', 0, 'helm']`, numbers only where the data is a list. */
export function pointerToPath(pointer: string, data: unknown): JsonPath {
  const out: Array<string | number> = [];
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)];
    } else {
      out.push(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  object: 'a map',
  array: 'a list',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

function expectedTypes(t: unknown): string {
  const names = (Array.isArray(t) ? t : String(t).split(',')).map((x) => TYPE_NAMES[String(x)] ?? String(x));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names[0]!;
}

interface Problem {
  err: ErrorObject;
  path: JsonPath;
}

function convertErrors(errors: ErrorObject[], value: unknown, ref: YamlDocRef): KilnError[] {
  const problems: Problem[] = errors
    // branch errors of oneOf and inner errors of propertyNames are reported through their parent
    .filter((err) => !/\/oneOf\/\d+\//.test(err.schemaPath) && err.propertyName === undefined)
    .map((err) => ({ err, path: pointerToPath(err.instancePath, value) }));

  // an unknown field that is a typo of a required one explains both errors: report it once
  const typoFor = new Map<string, Set<string>>();
  for (const { err, path } of problems) {
    if (err.keyword !== 'additionalProperties') continue;
    const allowed = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
    const guess = closest(String(err.params.additionalProperty), allowed);
    if (guess) {
      const key = JSON.stringify(path);
      typoFor.set(key, (typoFor.get(key) ?? new Set()).add(guess));
    }
  }
  const out: KilnError[] = [];
  const seen = new Set<string>();
  for (const p of problems) {
    const typos = typoFor.get(JSON.stringify(p.path));
    if (p.err.keyword === 'required' && typos?.has(String(p.err.params.missingProperty))) continue;
    if (p.err.keyword === 'oneOf' && typos && ENGINES.some((e) => typos.has(e))) continue;
    const e = toKilnError(p, ref);
    const line = e.oneLine();
    if (!seen.has(line)) {
      seen.add(line);
      out.push(e);
    }
  }
  return out.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));
}

function toKilnError({ err, path }: Problem, ref: YamlDocRef): KilnError {
  const field = formatField(path) || undefined;
  const pos = ref.locate(path);
  const data: unknown = err.data;
  const schemaHint = typeof err.parentSchema?.['x-hint'] === 'string' ? (err.parentSchema['x-hint'] as string) : undefined;
  switch (err.keyword) {
    case 'additionalProperties': {
      const name = String(err.params.additionalProperty);
      const allowed = Object.keys((err.parentSchema?.properties as object | undefined) ?? {});
      const inner = [...path, name];
      return new KilnError(`unknown field "${name}"`, {
        pos: ref.locateKey(inner),
        field: formatField(inner),
        hint: joinHint(didYouMean(name, allowed), `allowed: ${allowed.join(', ')}`),
      });
    }
    case 'required': {
      const name = String(err.params.missingProperty);
      return new KilnError(`missing required field "${name}"`, { pos, field, hint: requiredHint(path, name) });
    }
    case 'type': {
      const quote = err.params.type === 'string' && (typeof data === 'number' || typeof data === 'boolean');
      return new KilnError(`must be ${expectedTypes(err.params.type)}, got ${typeName(data)}`, {
        pos,
        field,
        hint: quote ? `quote it: "${String(data)}"` : data === null ? 'write a value, or remove the field' : undefined,
      });
    }
    case 'const':
      return new KilnError(`must be "${String(err.params.allowedValue)}", got ${JSON.stringify(data)}`, {
        pos,
        field,
        hint: path[0] === 'apiVersion' ? `kiln reads apiVersion ${API_VERSION}` : undefined,
      });
    case 'enum': {
      const allowed = (err.params.allowedValues as unknown[]).map(String);
      return new KilnError(`must be one of ${allowed.join(', ')}, got ${JSON.stringify(data)}`, {
        pos,
        field,
        hint: typeof data === 'string' ? didYouMean(data, allowed) || undefined : undefined,
      });
    }
    case 'pattern':
      return new KilnError(`${JSON.stringify(data)} is not valid`, { pos, field, hint: schemaHint ?? `must match ${String(err.params.pattern)}` });
    case 'propertyNames': {
      const key = String(err.params.propertyName);
      const inner = [...path, key];
      return new KilnError(`${JSON.stringify(key)} is not a valid key`, {
        pos: ref.locateKey(inner),
        field: formatField(inner),
        hint: ((err.parentSchema?.propertyNames as Record<string, unknown> | undefined)?.['x-hint'] as string | undefined) ?? undefined,
      });
    }
    case 'maxLength':
      return new KilnError(`is ${String(data).length} characters long, at most ${String(err.params.limit)} are allowed`, { pos, field, hint: schemaHint });
    case 'minLength':
      return new KilnError('must not be empty', { pos, field });
    case 'minItems':
      return new KilnError(`must have at least ${String(err.params.limit)} item${err.params.limit === 1 ? '' : 's'}`, { pos, field });
    case 'oneOf': {
      const present = data && typeof data === 'object' ? ENGINES.filter((e) => e in (data as object)) : [];
      return new KilnError(`a component needs exactly one of ${ENGINES.join(', ')}`, {
        pos,
        field,
        hint: present.length ? `found ${present.join(' and ')}; split them into separate components` : 'add one of them, e.g. `helm: {chart: …}`',
      });
    }
    default:
      return new KilnError(err.message ?? `failed schema check ${err.keyword}`, { pos, field });
  }
}

function requiredHint(path: JsonPath, name: string): string | undefined {
  if (path.length === 0 && name === 'apiVersion') return `every kiln document starts with apiVersion: ${API_VERSION}`;
  if (path.length === 0 && name === 'metadata') return 'add metadata: {name: …}';
  if (path.length === 0 && name === 'spec') return 'add a spec: map';
  if (name === 'name' && path[path.length - 1] === 'metadata') return 'every document needs metadata.name, a DNS-1123 label';
  return undefined;
}
