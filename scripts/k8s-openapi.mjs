#!/usr/bin/env node
// Fetch Kubernetes' own published OpenAPI v3 (api/openapi-spec/v3 of k8s.io/kubernetes) for each pinned
// release through the Go module proxy (`go mod download`, checked against the Go checksum database) and
// keep one compact schema set per minor: <tools-dir>/k8s-openapi/<major.minor>.json. Only what
// validation needs is kept (types, properties, required, items, refs, enums, int-or-string and
// preserve-unknown-fields markers); descriptions, defaults and list/patch hints are dropped.
//   node k8s-openapi.mjs <tools-dir> v1.31.14 [v1.32.13 …]
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [toolsDir, ...versions] = process.argv.slice(2);
if (!toolsDir || versions.length === 0) {
  console.error('usage: k8s-openapi.mjs <tools-dir> <version>...');
  process.exit(2);
}
const outDir = path.join(toolsDir, 'k8s-openapi');
mkdirSync(outDir, { recursive: true });

const KEEP = new Set(['type', 'properties', 'additionalProperties', 'items', 'required', 'enum', 'format', 'oneOf', 'anyOf', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string']);
const PREFIX = '#/components/schemas/';

/** One schema node, compacted: refs become `{ $ref: name }`, single-ref allOf wrappers are unwrapped. */
function compact(s) {
  if (Array.isArray(s)) return s.map(compact);
  if (!s || typeof s !== 'object') return s;
  if (typeof s.$ref === 'string') return { $ref: s.$ref.slice(PREFIX.length) };
  if (Array.isArray(s.allOf) && s.allOf.length === 1 && s.allOf[0].$ref) return compact(s.allOf[0]);
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (!KEEP.has(k)) continue;
    if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v).map(([p, ps]) => [p, compact(ps)]));
    else if (k === 'format' && !['int32', 'int64', 'int-or-string'].includes(v)) continue;
    else out[k] = typeof v === 'object' ? compact(v) : v;
  }
  return out;
}

async function fetchOne(version) {
  const minor = version.replace(/^v/, '').split('.').slice(0, 2).join('.');
  const target = path.join(outDir, `${minor}.json`);
  if (existsSync(target)) {
    try {
      if (JSON.parse(readFileSync(target, 'utf8')).kubernetes === version) return;
    } catch {
      // rebuilt below
    }
  }
  const started = Date.now();
  // a throwaway module cache: only the spec is kept, not ~100 MB of Kubernetes source per release
  const modcache = mkdtempSync(path.join(os.tmpdir(), 'kiln-k8s-mod-'));
  try {
    const env = { ...process.env, GOMODCACHE: modcache, GOFLAGS: '-modcacherw', GOTOOLCHAIN: 'local' };
    const { stdout } = await promisify(execFile)('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], { cwd: modcache, env, maxBuffer: 1 << 20 });
    const info = JSON.parse(stdout);
    if (info.Error) throw new Error(info.Error);
    const specDir = path.join(info.Dir, 'api', 'openapi-spec', 'v3');
    const defs = {};
    const gvk = {};
    for (const f of readdirSync(specDir).sort()) {
      if (!f.endsWith('.json')) continue;
      const doc = JSON.parse(readFileSync(path.join(specDir, f), 'utf8'));
      for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
        defs[name] ??= compact(schema);
        for (const k of schema['x-kubernetes-group-version-kind'] ?? []) {
          // list kinds and options kinds are never rendered; keep the object kinds
          if (!schema.properties?.metadata || k.kind.endsWith('List')) continue;
          gvk[`${k.group ? `${k.group}/` : ''}${k.version}/${k.kind}`] ??= name;
        }
      }
    }
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ kubernetes: version, gvk, defs }));
    renameSync(tmp, target);
    console.error(`setup: Kubernetes ${version} OpenAPI (${Object.keys(gvk).length} kinds) at ${target} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    rmSync(modcache, { recursive: true, force: true });
  }
}

// downloads are network-bound: a few at once
const queue = [...versions];
await Promise.all(Array.from({ length: 4 }, async () => {
  for (let v = queue.shift(); v; v = queue.shift()) await fetchOne(v);
}));
