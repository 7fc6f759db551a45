// Regenerates github-openapi.subset.json: the operations kiln's GitHub forge calls, cut from GitHub's
// own OpenAPI description (npm @octokit/openapi, dereferenced), without descriptions and examples.
// Usage: npm i --no-save @octokit/openapi && node test/scm/extract-github-openapi.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const specPath = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const OPS = {
  '/repos/{owner}/{repo}/issues/{issue_number}/comments': ['get', 'post'],
  '/repos/{owner}/{repo}/issues/comments/{comment_id}': ['patch', 'delete'],
  '/repos/{owner}/{repo}/pulls': ['get', 'post'],
  '/repos/{owner}/{repo}/pulls/{pull_number}': ['patch'],
  '/repos/{owner}/{repo}/commits/{ref}/status': ['get'],
  '/repos/{owner}/{repo}/commits/{ref}/check-runs': ['get'],
};
const DROP = new Set(['description', 'examples', 'example', 'externalDocs', 'x-github', 'summary']);
const strip = (v) => {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(([k]) => !DROP.has(k)).map(([k, x]) => [k, strip(x)]));
  return v;
};
const paths = {};
for (const [p, methods] of Object.entries(OPS)) {
  paths[p] = {};
  for (const m of methods) {
    const op = spec.paths[p][m];
    const responses = {};
    for (const [code, r] of Object.entries(op.responses)) {
      if (!/^2/.test(code)) continue;
      responses[code] = r.content?.['application/json'] ? { schema: strip(r.content['application/json'].schema) } : {};
    }
    paths[p][m] = {
      operationId: op.operationId,
      parameters: strip(op.parameters ?? []),
      requestBody: op.requestBody ? strip(op.requestBody.content['application/json'].schema) : undefined,
      responses,
    };
  }
}
const out = new URL('./github-openapi.subset.json', import.meta.url);
writeFileSync(out, JSON.stringify({ source: `@octokit/openapi ${spec.info.version} (api.github.com)`, paths }, null, 1) + '\n');
console.log(`wrote ${out.pathname}`);
