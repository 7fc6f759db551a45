/**
 * Values never reach a shell: cluster vars, helm values, jsonnet extVars, ytt data values, patches
 * and file paths full of shell syntax (`$(…)`, backticks, `; rm -rf`, quotes, newlines) render with
 * the real tools, execute nothing, and arrive in the output byte for byte.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { cluster, FLEET, writeFiles } from './fleet.js';

const base = tmp('kiln-inject-');
const fleet = path.join(base, 'fleet');
const keep = path.join(base, 'keep');
const marker = (n: number) => path.join(base, `pwned-${n}`);
const EVIL = [
  `$(touch ${marker(1)})`,
  `\`touch ${marker(2)}\``,
  `; touch ${marker(3)}; rm -rf ${keep} #`,
  `&& touch ${marker(4)} | tee ${marker(5)} > ${marker(6)}`,
  `' " \\ * ? ~ $HOME \${PATH} %s {{ not a template }}`,
  'second line\r\n\tthird line: {a: b}',
].join('\n');
// directory names with shell syntax (relative, so a shell running in the fleet dir would create them)
const DIR = "$(touch pwned-7);`touch pwned-8` && rm -rf ../keep 'x'\nnl";
// helm reads `-f` as CSV, so its values file may hold no comma, quote or line break (refused, see the corpus)
const VDIR = "$(touch pwned-9);`touch pwned-10` && rm -rf ../keep 'x'";
// plain `manifests` paths with (, ), * … are globs (documented); this one is literal
const MDIR = "; touch pwned-11 && rm -rf ../keep 'x'\nnl";

const saved = process.env.KILN_CACHE_DIR;
beforeAll(() => {
  mkdirSync(keep);
  process.env.KILN_CACHE_DIR = path.join(base, 'cache');
  const templated = JSON.stringify('{{ .Vars.evil }}');
  writeFiles(fleet, {
    'kiln.yaml': FLEET,
    'clusters/dev.yaml': cluster(
      { evil: EVIL },
      `  patches:\n    - target: { kind: ConfigMap, name: from-helm }\n      patch: ${JSON.stringify(JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-helm', annotations: { evil: EVIL } } }))}\n`,
    ),
    'profiles/evil.yaml': `apiVersion: kiln.dev/v1alpha1
kind: Profile
metadata:
  name: evil
spec:
  clusters: [dev-1]
  namespace: app
  components:
    - name: chart
      helm:
        chart: ${JSON.stringify(`charts/${DIR}`)}
        valuesFiles: [${JSON.stringify(`values/${VDIR}.yaml`)}]
        values: { inline: ${templated} }
    - name: js
      jsonnet:
        file: ${JSON.stringify(`jsonnet/${DIR}.jsonnet`)}
        extVars: { evil: ${templated} }
        tlas: { arg: ${templated} }
    - name: ytt
      ytt:
        paths: [${JSON.stringify(`ytt/${DIR}`)}]
        dataValues: { evil: ${templated} }
    - name: kust
      kustomize:
        path: ${JSON.stringify(`kustomize/${DIR}`)}
    - name: plain
      manifests:
        paths: [${JSON.stringify(`manifests/${MDIR}`)}]
`,
    [`charts/${DIR}/Chart.yaml`]: 'apiVersion: v2\nname: evil\nversion: 0.1.0\n',
    [`charts/${DIR}/templates/cm.yaml`]: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-helm\ndata:\n  inline: {{ .Values.inline | toJson }}\n  file: {{ .Values.file | toJson }}\n',
    [`values/${VDIR}.yaml`]: `file: ${JSON.stringify(EVIL)}\n`,
    [`jsonnet/${DIR}.jsonnet`]: "function(arg) { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-jsonnet' }, data: { ext: std.extVar('evil'), tla: arg } }\n",
    [`ytt/${DIR}/cm.yaml`]: '#@ load("@ytt:data", "data")\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-ytt\ndata:\n  evil: #@ data.values.evil\n',
    [`ytt/${DIR}/values.yaml`]: '#@data/values\n---\nevil: ""\n',
    [`kustomize/${DIR}/kustomization.yaml`]: `configMapGenerator:\n  - name: from-kustomize\n    options: { disableNameSuffixHash: true }\n    literals: [${JSON.stringify(`evil=${EVIL.replace(/\n/g, ' ')}`)}]\n`,
    [`manifests/${MDIR}/cm.yaml`]: `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-manifests\ndata:\n  evil: ${JSON.stringify(EVIL)}\n`,
  });
});
afterAll(() => {
  if (saved === undefined) delete process.env.KILN_CACHE_DIR;
  else process.env.KILN_CACHE_DIR = saved;
});

describe('shell syntax in values and paths', () => {
  it('renders with every engine, executes nothing, and keeps the values verbatim', async () => {
    const out = path.join(base, 'out');
    const r = await kiln('render', '--cwd', fleet, '--out', out);
    expect(r.code, r.stderr).toBe(0);

    // nothing ran: no marker anywhere, the directory `rm -rf` named is still there
    for (let i = 1; i <= 6; i++) expect(existsSync(marker(i)), marker(i)).toBe(false);
    const pwned = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('pwned'));
    expect(pwned(base)).toEqual([]);
    expect(pwned(fleet)).toEqual([]);
    expect(pwned(process.cwd())).toEqual([]);
    expect(existsSync(keep)).toBe(true);

    const objects = new Map<string, Record<string, unknown>>();
    for (const [f, text] of readTree(path.join(out, 'dev-1'))) {
      if (!f.startsWith('manifests/')) continue;
      const o = parse(text, { version: '1.1' }) as { metadata: { name: string } } & Record<string, unknown>;
      objects.set(o.metadata.name, o);
    }
    const data = (name: string) => (objects.get(name) as { data: Record<string, string> } | undefined)?.data;
    expect(data('from-helm')).toEqual({ inline: EVIL, file: EVIL });
    expect((objects.get('from-helm') as { metadata: { annotations: Record<string, string> } }).metadata.annotations).toEqual({ evil: EVIL });
    expect(data('from-jsonnet')).toEqual({ ext: EVIL, tla: EVIL });
    expect(data('from-ytt')).toEqual({ evil: EVIL });
    expect(data('from-kustomize')).toEqual({ evil: EVIL.replace(/\n/g, ' ') });
    expect(data('from-manifests')).toEqual({ evil: EVIL });
  });
});
