/**
 * The corpus of tricky scalars through every engine and a post-patch: what kiln writes reads, in
 * Kubernetes' own reader (sigs.k8s.io/yaml), exactly as the tool's own output reads there.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { readTree } from '../helpers/fleet-repo.js';
import { corpusManifest, differences, k8sRead } from '../helpers/k8s-yaml.js';
import { tmp, which } from '../helpers/tools.js';

type Obj = { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: unknown; data?: unknown };

function put(root: string, rel: string, text: string): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

const profile = (name: string, component: string, extra = '') =>
  `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata: { name: ${name} }\nspec:\n  clusters: [c1]\n  components:\n    - name: ${name}\n${component}${extra}`;

function asFloat64(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(asFloat64);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, asFloat64(x)]));
  return v;
}

describe('tricky scalars through every engine and a patch', () => {
  const root = tmp('kiln-k8s-yaml-');
  const out = tmp('kiln-k8s-yaml-out-');
  let objects: Obj[] = [];
  const raw = new Map<string, Obj[]>();
  const sh = (cmd: string, args: string[]) => execFileSync(which(cmd), args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    put(root, 'kiln.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: t }\nspec:\n  environments: [{ name: dev }]\n');
    put(root, 'clusters/c1.yaml', 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { environment: dev, kubeVersion: "1.31.0" }\n');
    put(root, 'plain/corpus.yaml', corpusManifest('plain'));
    put(root, 'patched/corpus.yaml', corpusManifest('patched'));
    put(root, 'charts/corpus/Chart.yaml', 'apiVersion: v2\nname: corpus\nversion: 0.1.0\n');
    put(root, 'charts/corpus/templates/corpus.yaml', corpusManifest('helm'));
    put(root, 'kust/corpus.yaml', corpusManifest('kustomize', { tags: false, keys: false })); // kustomize refuses `!!bool yes` and `1: x`
    put(root, 'kust/kustomization.yaml', 'resources: [corpus.yaml]\n');
    put(root, 'ytt/corpus.yaml', corpusManifest('ytt', { anchors: false })); // ytt refuses merge keys
    put(root, 'jsonnet/corpus.yaml', corpusManifest('jsonnet'));
    put(root, 'jsonnet/corpus.jsonnet', "std.parseYaml(importstr 'corpus.yaml')\n");
    put(root, 'profiles/plain.yaml', profile('plain', '      manifests: { paths: [plain/corpus.yaml] }\n'));
    put(root, 'profiles/helm.yaml', profile('helm', '      helm: { chart: charts/corpus, releaseName: corpus }\n'));
    put(root, 'profiles/kustomize.yaml', profile('kustomize', '      kustomize: { path: kust }\n'));
    put(root, 'profiles/ytt.yaml', profile('ytt', '      ytt: { paths: [ytt] }\n'));
    put(root, 'profiles/jsonnet.yaml', profile('jsonnet', '      jsonnet: { file: jsonnet/corpus.jsonnet }\n'));
    put(
      root,
      'profiles/patched.yaml',
      profile('patched', '      manifests: { paths: [patched/corpus.yaml] }\n', '  patches:\n    - target: { kind: Corpus }\n      patch: |\n        - { op: add, path: /metadata/labels, value: { patched: "yes" } }\n'),
    );
    const r = await kiln('render', '--cwd', root, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    for (const [f, text] of readTree(path.join(out, 'c1'))) if (f.startsWith('manifests/')) objects.push(...(k8sRead(text) as Obj[]));
    // the tools' own output, as a cluster would read it if applied directly
    raw.set('plain', k8sRead(corpusManifest('plain')) as Obj[]);
    raw.set('patched', k8sRead(corpusManifest('patched')) as Obj[]);
    raw.set('helm', k8sRead(sh('helm', ['template', 'corpus', 'charts/corpus'])) as Obj[]);
    raw.set('kustomize', k8sRead(sh('kustomize', ['build', 'kust'])) as Obj[]);
    raw.set('ytt', k8sRead(sh('ytt', ['-f', 'ytt'])) as Obj[]);
    raw.set('jsonnet', (k8sRead(sh('jsonnet', ['jsonnet/corpus.jsonnet'])) as Obj[][])[0]!);
  }, 300_000);
  afterAll(() => {
    for (const d of [root, out]) execFileSync('rm', ['-rf', d]);
  });

  for (const engine of ['plain', 'helm', 'kustomize', 'ytt', 'jsonnet', 'patched']) {
    it(`${engine}: every value as the tool wrote it`, () => {
      const want = raw.get(engine)!.filter((o) => o !== null); // helm starts with an empty document
      expect(want.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Corpus']);
      for (const w of want) {
        const got = objects.find((o) => o.kind === w.kind && o.metadata.name === w.metadata.name);
        expect(got, `${w.kind} ${w.metadata.name}`).toBeDefined();
        // kustomize's JSON patching holds numbers as float64: integers beyond 2^53 come back rounded (Flux's would too)
        const ref = engine === 'patched' ? asFloat64(w.spec ?? w.data) : (w.spec ?? w.data);
        expect(differences(ref, got!.spec ?? got!.data)).toEqual([]);
        if (engine === 'patched' && w.kind === 'Corpus') expect(got!.metadata.labels).toEqual({ patched: 'yes' });
      }
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${engine}-cm`)!;
      // kustomize itself rewrites the timestamp (2001-12-14T21:59:43.1-05:00): compared with its output above
      if (engine !== 'kustomize') expect(cm.data).toEqual({ 'maintenance-window': '22:30', 'built-at': '2001-12-14t21:59:43.10-05:00', mode: '0440' });
    });
  }
});
