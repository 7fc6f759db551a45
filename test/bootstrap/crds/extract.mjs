// Extract the openAPIV3Schema of one served version from upstream CRD YAMLs into compact JSON for the
// bootstrap tests: status and descriptions dropped (not validated, and they are most of the bytes).
// usage: node test/bootstrap/crds/extract.mjs <crd.yaml> <version> <out.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const [file, version, out] = process.argv.slice(2);
if (!file || !version || !out) throw new Error('usage: extract.mjs <crd.yaml> <version> <out.json>');
const crd = parse(readFileSync(file, 'utf8'));
const v = crd.spec.versions.find((x) => x.name === version);
if (!v) throw new Error(`${file} has no version ${version}`);
const schema = v.schema.openAPIV3Schema;
delete schema.properties.status;

// walk schema nodes only, so that a *property* called "description" survives
function strip(node) {
  if (!node || typeof node !== 'object') return;
  if (typeof node.description === 'string') delete node.description;
  for (const s of Object.values(node.properties ?? {})) strip(s);
  if (node.items) strip(node.items);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') strip(node.additionalProperties);
  for (const k of ['allOf', 'anyOf', 'oneOf']) for (const s of node[k] ?? []) strip(s);
  if (node.not) strip(node.not);
}
strip(schema);
writeFileSync(out, JSON.stringify({ group: crd.spec.group, kind: crd.spec.names.kind, version, schema }) + '\n');
