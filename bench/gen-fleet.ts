/**
 * A synthetic fleet for benchmarks: N clusters across 3 environments × 6 regions × 3 sizes, with
 * per-cluster vars, and 5 profiles that use every engine (a local Helm chart with hooks, capabilities
 * and a profile patch; a Kustomize base with per-environment overlays; Jsonnet with a library and
 * per-cluster identity; ytt with a schema and data values; plain manifests). Every 20th cluster
 * carries its own cluster patch (a "snowflake").
 *
 *   node bench/gen-fleet.ts --clusters 1000 --out /tmp/fleet
 *
 * Unique inputs per engine (what a render-once cache can exploit): manifests 1, kustomize 3,
 * helm ≤ 54 (env × region × size), ytt ≤ 36, jsonnet N (the cluster's identity).
 */
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ENVS = ['dev', 'staging', 'prod'] as const;
export const REGIONS = ['eu-west', 'eu-central', 'us-east', 'us-west', 'ap-south', 'ap-east'] as const;
export const SIZES = ['small', 'medium', 'large'] as const;
const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');

export interface BenchCluster {
  name: string;
  env: (typeof ENVS)[number];
  region: (typeof REGIONS)[number];
  size: (typeof SIZES)[number];
  kubeVersion: string;
  snowflake: boolean;
}

export function benchClusters(n: number): BenchCluster[] {
  return Array.from({ length: n }, (_, i) => {
    // 30 % dev, 20 % staging, 50 % prod
    const d = i % 10;
    const env = d < 3 ? 'dev' : d < 5 ? 'staging' : 'prod';
    const region = REGIONS[Math.floor(i / 10) % REGIONS.length]!;
    const size = SIZES[Math.floor(i / 60) % SIZES.length]!;
    const kubeVersion = env === 'dev' ? '1.32.1' : env === 'staging' ? '1.31.4' : region.startsWith('ap') ? '1.30.8' : '1.31.4';
    return { name: `${env}-${region}-${String(i).padStart(5, '0')}`, env, region, size, kubeVersion, snowflake: i % 20 === 19 };
  });
}

const VARS = {
  replicas: { small: 2, medium: 3, large: 5 },
  scale: { small: 1, medium: 2, large: 3 },
  logLevel: { dev: 'debug', staging: 'info', prod: 'warn' },
} as const;

function clusterDoc(c: BenchCluster): string {
  const apiVersions = c.env === 'dev' ? '[]' : '["monitoring.coreos.com/v1"]';
  let doc = `apiVersion: kiln.dev/v1alpha1
kind: Cluster
metadata:
  name: ${c.name}
  labels: { env: ${c.env}, region: ${c.region}, size: ${c.size} }
spec:
  environment: ${c.env}
  kubeVersion: "${c.kubeVersion}"
  apiVersions: ${apiVersions}
  vars:
    replicas: ${VARS.replicas[c.size]}
    scale: ${VARS.scale[c.size]}
    logLevel: ${VARS.logLevel[c.env]}
    domain: ${c.name}.clusters.example.com
`;
  if (c.snowflake) {
    doc += `  patches:
    - target: { kind: Deployment, name: gateway }
      patch:
        - { op: add, path: /spec/template/spec/priorityClassName, value: platform-critical }
`;
  }
  return doc;
}

const PROFILES: Record<string, string> = {
  base: `# Plain manifests: namespaces, a priority class, default-deny policies.
metadata: { name: base }
spec:
  clusterSelector: {}
  tier: 10
  components:
    - name: base
      manifests: { paths: [manifests/base] }
`,
  gateway: `# A local Helm chart, values per environment, capabilities, a hook, and profile patches.
metadata: { name: gateway }
spec:
  clusterSelector: {}
  namespace: gateway
  dependsOn: [base]
  components:
    - name: gateway
      helm:
        chart: charts/gateway
        releaseName: gateway
        hooks: keep
        valuesFiles:
          - values/gateway/common.yaml
          - { path: "values/gateway/{{ .Cluster.environment }}.yaml", optional: true }
        values:
          replicaCount: "{{ .Vars.replicas }}"
          region: "{{ .Cluster.labels.region }}"
          ingress:
            host: "gateway.{{ .Cluster.labels.region }}.{{ .Cluster.environment }}.example.com"
  patches:
    - target: { kind: Deployment, name: gateway }
      patch: |
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: gateway }
        spec:
          template:
            spec:
              containers:
                - name: gateway
                  env:
                    - { name: LOG_LEVEL, value: "{{ .Vars.logLevel }}" }
    - target: { labelSelector: app.kubernetes.io/name=gateway }
      patch:
        - { op: add, path: /metadata/annotations/example.com~1owner, value: platform-team }
`,
  monitoring: `# A Kustomize base with one overlay per environment.
metadata: { name: monitoring }
spec:
  clusterSelector: {}
  dependsOn: [base]
  components:
    - name: monitoring
      kustomize: { path: "kustomize/monitoring/overlays/{{ .Cluster.environment }}" }
`,
  'cluster-config': `# Jsonnet: the cluster's identity and quotas, different on every cluster.
metadata: { name: cluster-config }
spec:
  clusterSelector: {}
  dependsOn: [base]
  components:
    - name: cluster-config
      jsonnet:
        file: jsonnet/cluster-config.jsonnet
        jpath: [jsonnet/lib]
        extVars:
          cluster: "{{ .Cluster.name }}"
          env: "{{ .Cluster.environment }}"
          region: "{{ .Cluster.labels.region }}"
          size: "{{ .Cluster.labels.size }}"
          domain: "{{ .Vars.domain }}"
        tlas:
          namespaces: [gateway, team-apps]
`,
  'team-apps': `# ytt: a schema, a data values file and inline data values (EU and US only).
metadata: { name: team-apps }
spec:
  clusterSelector:
    matchExpressions: [{ key: region, operator: In, values: [eu-west, eu-central, us-east, us-west] }]
  namespace: team-apps
  dependsOn: [base]
  components:
    - name: apps
      ytt:
        paths: [ytt/team-apps]
        dataValuesFiles: [ytt/values.yaml]
        dataValues:
          environment: "{{ .Cluster.environment }}"
          region: "{{ .Cluster.labels.region }}"
          scale: "{{ .Vars.scale }}"
`,
};

export function writeBenchFleet(dir: string, n: number): BenchCluster[] {
  mkdirSync(path.join(dir, 'clusters'), { recursive: true });
  mkdirSync(path.join(dir, 'profiles'), { recursive: true });
  cpSync(ASSETS, dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'kiln.yaml'),
    `apiVersion: kiln.dev/v1alpha1
kind: Fleet
metadata: { name: bench }
spec:
  environments: [{ name: dev }, { name: staging }, { name: prod }]
  output:
    branch: "rendered/{{ .Cluster.environment }}/{{ .Cluster.name }}"
    path: manifests
`,
  );
  const clusters = benchClusters(n);
  // at most 1,000 clusters per file (kiln refuses config files over 1 MiB)
  for (const env of ENVS) {
    const docs = clusters.filter((c) => c.env === env).map(clusterDoc);
    for (let i = 0; i < docs.length; i += 1000) {
      writeFileSync(path.join(dir, 'clusters', `${env}-${String(i / 1000).padStart(2, '0')}.yaml`), docs.slice(i, i + 1000).join('---\n'));
    }
  }
  for (const [name, body] of Object.entries(PROFILES)) {
    writeFileSync(path.join(dir, 'profiles', `${name}.yaml`), `apiVersion: kiln.dev/v1alpha1\nkind: Profile\n${body}`);
  }
  // a machine-readable cluster list for the baseline loop (name env region size kubeVersion snowflake)
  writeFileSync(path.join(dir, 'clusters.tsv'), clusters.map((c) => [c.name, c.env, c.region, c.size, c.kubeVersion, c.snowflake ? 1 : 0].join('\t')).join('\n') + '\n');
  return clusters;
}

/** The "one-profile change": bump the gateway image (every cluster's gateway profile changes). */
export const CHANGE = { file: 'values/gateway/common.yaml', from: 'tag: "1.31.2"', to: 'tag: "1.31.3"' };

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const get = (f: string) => {
    const i = args.indexOf(f);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const n = Number(get('--clusters') ?? 100);
  const out = path.resolve(get('--out') ?? `bench-fleet-${n}`);
  writeBenchFleet(out, n);
  console.log(`wrote ${n} clusters to ${out}`);
}
