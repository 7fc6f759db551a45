/** A small in-memory FleetConfig for bootstrap tests (no files: bootstrap reads only names, labels and output). */
import type { Cluster, DocRef, FleetConfig } from '../../src/model.js';

const doc = (file: string): DocRef => ({ file, locate: () => ({ file }) });

function cluster(name: string, environment: string, labels: Record<string, string> = {}): Cluster {
  return { name, environment, labels, apiVersions: [], vars: {}, patches: [], doc: doc(`clusters/${name}.yaml`) };
}

export function smallFleet(output: Partial<FleetConfig['output']> = {}): FleetConfig {
  return {
    root: '/nonexistent/fleet',
    file: '/nonexistent/fleet/kiln.yaml',
    name: 'acme',
    environments: [
      { name: 'dev', freeze: [] },
      { name: 'staging', freeze: [] },
      { name: 'prod', freeze: [] },
    ],
    output: { branch: 'rendered/{{ .Cluster.environment }}/{{ .Cluster.name }}', path: 'manifests', appliedBy: 'flux', ...output },
    clusterGlobs: ['clusters/*.yaml'],
    profileGlobs: ['profiles/*.yaml'],
    tools: {},
    // deliberately not sorted: output order must not depend on input order
    clusters: [
      cluster('prod-eu-1', 'prod', { region: 'eu', 'kiln.dev/argocd-cluster': 'prod-eu-1-hub' }),
      cluster('dev-eu-1', 'dev', { region: 'eu' }),
      cluster('staging-eu-1', 'staging', { region: 'eu' }),
      cluster('dev-us-1', 'dev', { region: 'us' }),
    ],
    profiles: [],
    doc: doc('kiln.yaml'),
  };
}

export const REPO = 'https://git.example.com/platform/fleet.git';
