/** The files of a new fleet (`kiln init`): config, one cluster file, one small profile per engine. */
import type { Engine } from '../model.js';

export const DEFAULT_ENGINES: readonly Engine[] = ['helm', 'kustomize', 'manifests'];
export const ENVIRONMENTS = ['dev', 'staging', 'prod'];

/** kiln's own outputs in a fleet repo: diff's default markdown, the pipelines' dirs, a render target. */
export const GITIGNORE_LINES = ['/kiln-diff.md', '/rendered/', '/.kiln-out/', '/.kiln-cache/', '/.kiln-tools/'];
export const GITIGNORE_HEADER = '# kiln: its own outputs (kiln init)';

const HEADER = 'apiVersion: kiln.dev/v1alpha1';

export function fleetFiles(name: string): Record<string, string> {
  return {
    'kiln.yaml': `# The fleet: environments in promotion order, and where each cluster's rendered manifests go
# (one branch per cluster). See kiln's docs/design.md for every field.
${HEADER}
kind: Fleet
metadata:
  name: ${name}
spec:
  environments:
${ENVIRONMENTS.map((e) => `    - name: ${e}\n`).join('')}  output:
    branch: "rendered/{{ .Cluster.environment }}/{{ .Cluster.name }}"
    path: manifests
`,
    'clusters/clusters.yaml': ENVIRONMENTS.map(
      (e) => `${HEADER}
kind: Cluster
metadata:
  name: ${e}-1
  labels:
    env: ${e}
spec:
  environment: ${e}
  kubeVersion: "1.31.4"
  vars:
    replicas: ${e === 'prod' ? 2 : 1}
`,
    ).join('---\n'),
  };
}

const profile = (name: string, comment: string, component: string) => `# ${comment}
${HEADER}
kind: Profile
metadata:
  name: ${name}
spec:
  clusterSelector: {}          # every cluster
  namespace: hello
  components:
    - name: ${name}
${component}`;

/** One profile per engine and what it renders: a ConfigMap naming the cluster, in namespace hello. */
export function engineFiles(engine: Engine): Record<string, string> {
  const cm = (name: string, cluster: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
data:
  cluster: ${cluster}
`;
  switch (engine) {
    case 'manifests':
      return {
        'profiles/base.yaml': profile('base', 'Plain manifests: every YAML file under the paths.', '      manifests:\n        paths: [manifests/base]\n'),
        'manifests/base/namespace.yaml': 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hello\n',
      };
    case 'helm':
      return {
        'profiles/hello-helm.yaml': profile(
          'hello-helm',
          'A local Helm chart; values are templated per cluster.',
          '      helm:\n        chart: charts/hello\n        releaseName: hello\n        values:\n          replicas: "{{ .Vars.replicas }}"   # stays a number\n          cluster: "{{ .Cluster.name }}"\n',
        ),
        'charts/hello/Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
        'charts/hello/values.yaml': 'replicas: 1\ncluster: ""\n',
        'charts/hello/templates/configmap.yaml':
          'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-helm\ndata:\n  cluster: {{ .Values.cluster | quote }}\n  replicas: {{ .Values.replicas | quote }}\n',
      };
    case 'kustomize':
      return {
        'profiles/hello-kustomize.yaml': profile('hello-kustomize', 'A Kustomize directory (add overlays/<environment> and template the path to vary it).', '      kustomize:\n        path: kustomize/hello\n'),
        'kustomize/hello/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - configmap.yaml\n',
        'kustomize/hello/configmap.yaml': cm('hello-kustomize', 'any'),
      };
    case 'jsonnet':
      return {
        'profiles/hello-jsonnet.yaml': profile('hello-jsonnet', 'Jsonnet with external variables per cluster.', '      jsonnet:\n        file: jsonnet/hello.jsonnet\n        extVars:\n          cluster: "{{ .Cluster.name }}"\n'),
        'jsonnet/hello.jsonnet': "{\n  apiVersion: 'v1',\n  kind: 'ConfigMap',\n  metadata: { name: 'hello-jsonnet' },\n  data: { cluster: std.extVar('cluster') },\n}\n",
      };
    case 'ytt':
      return {
        'profiles/hello-ytt.yaml': profile('hello-ytt', 'ytt with data values per cluster.', '      ytt:\n        paths: [ytt/hello]\n        dataValues:\n          cluster: "{{ .Cluster.name }}"\n'),
        'ytt/hello/schema.yaml': '#@data/values-schema\n---\ncluster: ""\n',
        'ytt/hello/configmap.yaml': '#@ load("@ytt:data", "data")\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hello-ytt\ndata:\n  cluster: #@ data.values.cluster\n',
      };
  }
}
