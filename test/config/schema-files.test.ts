/** schemas/*.schema.json are generated from src/config/schema-defs.ts; regenerate with KILN_UPDATE_SCHEMAS=1. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ajv } from 'ajv';
import { AJV_OPTIONS, KINDS, schemas } from '../../src/config/schema.js';
import { projectRoot } from '../helpers/fleet-repo.js';

describe('published JSON schemas', () => {
  it.each(KINDS)('schemas/%s is up to date', (kind) => {
    const file = path.join(projectRoot, 'schemas', `${kind.toLowerCase()}.schema.json`);
    const want = `${JSON.stringify(schemas[kind], null, 2)}\n`;
    if (process.env.KILN_UPDATE_SCHEMAS === '1') {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, want);
    }
    expect(existsSync(file), `${file} is missing: run KILN_UPDATE_SCHEMAS=1 npx vitest run test/config/schema-files.test.ts`).toBe(true);
    expect(readFileSync(file, 'utf8'), 'stale: run KILN_UPDATE_SCHEMAS=1 npx vitest run test/config/schema-files.test.ts').toBe(want);
  });

  it('every schema is valid against the JSON Schema meta-schema (kiln skips that check at run time)', () => {
    const ajv = new Ajv({ ...AJV_OPTIONS, validateSchema: true, code: { optimize: true } });
    for (const kind of KINDS) expect(ajv.validateSchema(schemas[kind]), `${kind}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
    // and a broken one would have been caught
    expect(ajv.validateSchema({ type: 'object', properties: { a: { type: 'no-such-type' } } })).toBe(false);
  });
});
