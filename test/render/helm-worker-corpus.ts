/**
 * The helm render corpus (test/render/helm-worker.test.ts): every kind of chart and `helm template`
 * argv kiln's helm tests and fixtures render — local directory, packaged .tgz (what a pulled remote
 * chart is in kiln's cache), Capabilities flags, CRDs, hooks and test hooks, values files and inline
 * values — and every way it fails (a `fail`, a missing required value, a schema violation, bad YAML,
 * a missing chart, file or dependency, not a chart), plus the warnings Helm prints on stderr.
 */
import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { projectRoot, renderFixture, writeFiles } from './helpers.js';

export interface HelmCase {
  name: string;
  args: string[];
}

const cm = (name: string, data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n${data}`;

/** Lays the charts out under `root` (a fresh temp dir) and returns the cases, argv relative to nothing: all paths absolute. */
export function helmCorpus(root: string, helm: string, env: NodeJS.ProcessEnv): HelmCase[] {
  cpSync(renderFixture, path.join(root, 'render'), { recursive: true });
  cpSync(path.join(projectRoot, 'fixtures/fleet/charts/web'), path.join(root, 'web'), { recursive: true });
  for (const bad of ['helm-template-fails', 'helm-chart-missing-dependency', 'helm-chart-not-a-chart', 'helm-renders-bad-name']) {
    cpSync(path.join(projectRoot, 'fixtures/bad/render', bad, 'charts/c'), path.join(root, bad), { recursive: true });
  }
  const chart = (name: string, extra = '') => `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n${extra}`;
  writeFiles(root, {
    'caps/Chart.yaml': chart('caps'),
    'caps/templates/cm.yaml': cm('caps', '  kube: "{{ .Capabilities.KubeVersion }}"\n  helm: "{{ .Capabilities.HelmVersion.Version }}"\n  go: "{{ .Capabilities.HelmVersion.GoVersion }}"\n  client: "{{ .Capabilities.HelmVersion.KubeClientVersion }}"\n  apis: {{ list (.Capabilities.APIVersions.Has "x.example.com/v1") (.Capabilities.APIVersions.Has "y.example.com/v1") | toJson | quote }}\n  ns: "{{ .Release.Namespace }}"\n  rev: "{{ .Release.Revision }} {{ .Release.IsInstall }} {{ .Release.Service }}"\n'),
    'schema/Chart.yaml': chart('schema'),
    'schema/values.yaml': 'replicas: 1\n',
    'schema/values.schema.json': '{"type":"object","properties":{"replicas":{"type":"integer"}}}',
    'schema/templates/cm.yaml': cm('s', '  r: "{{ .Values.replicas }}"\n'),
    // Helm warns about an unresolved urn: $ref once per process; the CLI says it on every run
    'urn/Chart.yaml': chart('urn'),
    'urn/values.yaml': 'a: 1\n',
    'urn/values.schema.json': '{"type":"object","properties":{"a":{"$ref":"urn:kiln:test:thing"}}}',
    'urn/templates/cm.yaml': cm('u', '  a: "{{ .Values.a }}"\n'),
    'required/Chart.yaml': chart('required'),
    'required/templates/cm.yaml': cm('r', '  tag: {{ required "tag is required: set it in the values" .Values.tag | quote }}\n'),
    'badyaml/Chart.yaml': chart('badyaml'),
    'badyaml/templates/cm.yaml': cm('b', '  a: [unclosed\n   b: : :\n'),
    'deprecated/Chart.yaml': chart('deprecated', 'deprecated: true\nkubeVersion: ">=1.20.0-0"\n'),
    'deprecated/templates/cm.yaml': cm('d', '  files: {{ .Files.Get "data.txt" | quote }}\n  lookup: "{{ len (lookup "v1" "Secret" "x" "y") }}"\n'),
    'deprecated/data.txt': 'héllo 😀\n',
    'deprecated/templates/NOTES.txt': 'notes are not printed by template\n',
    'oldkube/Chart.yaml': chart('oldkube', 'kubeVersion: "<1.20.0"\n'),
    'oldkube/templates/cm.yaml': cm('o', '  a: "1"\n'),
    'empty/Chart.yaml': chart('empty'),
    'empty/templates/_helpers.tpl': '{{- define "x" }}x{{ end }}\n',
    'parent/Chart.yaml': chart('parent', 'dependencies:\n  - name: child\n    version: 0.1.0\n    condition: child.enabled\n'),
    'parent/values.yaml': 'child:\n  enabled: false\n',
    'parent/charts/child/Chart.yaml': chart('child'),
    'parent/charts/child/templates/cm.yaml': cm('child', '  a: "{{ .Values.a }}"\n'),
    'parent/templates/cm.yaml': cm('parent', '  tpl: {{ tpl "{{ .Release.Name }}-{{ .Chart.Name }}" . | quote }}\n'),
    // what the worker's values (tools/worker-values) must read as kiln does, or decline: scalars kiln
    // types, key order, a block scalar; then what it declines: an anchor and its alias, an integer
    // past 2^53, a document that is only a comment (helm prints it as one)
    'scalars/Chart.yaml': chart('scalars'),
    'scalars/templates/cm.yaml': cm('s', '  z: "last key first"\n  a: |\n    block\n      kept\n') + 'extra:\n  octal: 0644\n  enabled: yes\n  float: 1e3\n  nothing: ~\n  neg: -0.0\n  list: [1, "2", true, null]\n',
    'declined/Chart.yaml': chart('declined'),
    'declined/templates/anchors.yaml': cm('a', '  one: &v "1"\n  two: *v\n'),
    'declined/templates/big.yaml': cm('b', '  a: "1"\n') + 'big: 9007199254740993\n',
    'declined/templates/comment.yaml': '# only a comment in this one\n---\n' + cm('c', '  a: "1"\n'),
    'values/inline.json': JSON.stringify({ replicas: 3, image: 'inline/img', greeting: 'on', sub: { color: 'red' }, child: { enabled: true, a: '0644' } }),
    'values/bad.yaml': 'a: [unclosed\n',
    'values/tag.yaml': 'tag: "1.2.3"\n',
  });
  // a packaged chart, as `helm pull` leaves a remote one in kiln's cache
  execFileSync(helm, ['package', path.join(root, 'render/charts/app'), '--destination', path.join(root, 'pkg')], { env, stdio: 'ignore' });
  const r = (p: string) => path.join(root, p);
  const app = r('render/charts/app');
  const tgz = r('pkg/app-0.1.0.tgz');
  const ns = (n = 'default') => ['--namespace', n];
  const t = (name: string, chart: string, ...rest: string[]): HelmCase => ({ name, args: ['template', 'rel', chart, ...rest] });
  return [
    t('local chart, defaults', app, ...ns()),
    t('capabilities, CRDs', app, ...ns('team-a'), '--kube-version', '1.31.4', '--api-versions', 'monitoring.coreos.com/v1', '--include-crds'),
    t('old kube, test hooks skipped, values files', app, ...ns('team-b'), '--kube-version', '1.28.2', '--include-crds', '--skip-tests', '-f', r('render/values/base.yaml'), '-f', r('render/values/dev.yaml')),
    t('inline values over a values file', app, ...ns(), '--kube-version', '1.30.0', '-f', r('render/values/dev.yaml'), '-f', r('values/inline.json')),
    t('packaged chart', tgz, ...ns('pkg'), '--kube-version', '1.31.4', '--include-crds', '--skip-tests'),
    t('packaged chart, no CRDs, api versions', tgz, ...ns(), '--api-versions', 'a.example.com/v1,b.example.com/v2'),
    t('example fleet chart', r('web'), ...ns('web'), '--kube-version', '1.29.3', '--api-versions', 'networking.k8s.io/v1', '--include-crds'),
    t('helm and kube versions in Capabilities', r('caps'), ...ns('caps'), '--api-versions', 'x.example.com/v1'),
    t('Capabilities with another kube and api set', r('caps'), ...ns(), '--kube-version', 'v1.27.16', '--api-versions', 'y.example.com/v1'),
    t('schema ok', r('schema'), ...ns()),
    t('schema violation', r('schema'), ...ns(), '--set', 'replicas=two'),
    t('unresolved urn $ref warning', r('urn'), ...ns()),
    t('fail in a template', r('helm-template-fails'), ...ns()),
    t('missing required value', r('required'), ...ns()),
    t('required value given', r('required'), ...ns(), '-f', r('values/tag.yaml')),
    t('template renders invalid YAML', r('badyaml'), ...ns()),
    t('deprecated chart warning, Files.Get, lookup', r('deprecated'), ...ns(), '--kube-version', '1.31.4'),
    t('chart kubeVersion not satisfied', r('oldkube'), ...ns(), '--kube-version', '1.31.4'),
    t('chart renders nothing', r('empty'), ...ns()),
    t('scalars as Kubernetes reads them', r('scalars'), ...ns()),
    t('an anchor and its alias, a big integer, a comment-only document', r('declined'), ...ns()),
    t('an anchor and its alias', r('declined'), ...ns(), '--show-only', 'templates/anchors.yaml'),
    t('an integer past 2^53', r('declined'), ...ns(), '--show-only', 'templates/big.yaml'),
    t('a comment-only document', r('declined'), ...ns(), '--show-only', 'templates/comment.yaml'),
    t('disabled dependency, tpl', r('parent'), ...ns()),
    t('enabled dependency by inline values', r('parent'), ...ns('p'), '-f', r('values/inline.json')),
    t('missing dependency', r('helm-chart-missing-dependency'), ...ns()),
    t('not a chart', r('helm-chart-not-a-chart'), ...ns()),
    t('renders a bad name (helm accepts it)', r('helm-renders-bad-name'), ...ns()),
    t('missing chart directory', r('nope'), ...ns()),
    t('missing values file', app, ...ns(), '-f', r('values/nope.yaml')),
    t('values file with bad YAML', app, ...ns(), '-f', r('values/bad.yaml')),
    t('invalid kube version', app, ...ns(), '--kube-version', 'one.two'),
    // not what kiln passes, but what a worker reading its requests on stdin must not get wrong
    t('values from stdin (empty for kiln)', r('required'), ...ns(), '-f', '-'),
    t('--set, --set-string, --set-json, --set-file', app, ...ns(), '--set', 'replicas=4,sub.color=green', '--set-string', 'image=0644', '--set-json', 'extra={"a":[1]}', '--set-file', `greeting=${r('deprecated/data.txt')}`),
  ];
}
