{
  labels(cluster, env, region):: {
    'cluster.example.com/name': cluster,
    'cluster.example.com/environment': env,
    'topology.kubernetes.io/region': region,
  },
  quota(ns, size):: {
    local cpu = { small: '8', medium: '32', large: '96' }[size],
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'default', namespace: ns },
    spec: { hard: { 'requests.cpu': cpu, 'limits.memory': std.toString(std.parseInt(cpu) * 4) + 'Gi', pods: '500' } },
  },
  limitRange(ns):: {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: { name: 'default', namespace: ns },
    spec: { limits: [{ type: 'Container', default: { memory: '256Mi' }, defaultRequest: { cpu: '50m', memory: '64Mi' } }] },
  },
}
