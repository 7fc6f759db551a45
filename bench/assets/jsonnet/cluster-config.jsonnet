// Cluster identity and per-namespace quotas: the one component that is different on every cluster.
local lib = import 'cluster.libsonnet';
local cluster = std.extVar('cluster');
local env = std.extVar('env');
local region = std.extVar('region');
local size = std.extVar('size');
function(namespaces=[]) [
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cluster-info', namespace: 'kube-public', labels: lib.labels(cluster, env, region) },
    data: {
      cluster: cluster,
      environment: env,
      region: region,
      size: size,
      domain: std.extVar('domain'),
    },
  },
] + [lib.quota(ns, size) for ns in namespaces] + [lib.limitRange(ns) for ns in namespaces]
