/** Small synthetic fleets for publish tests: N clusters, plain manifests only (fast to render). */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GenOptions {
  clusters: number;
  envs?: string[];
  /** Text of the shared ConfigMap's `data.version`; change it to make every branch move. */
  version?: string;
}

export function clusterNames(n: number, envs = ['dev', 'staging', 'prod']): Array<{ name: string; env: string }> {
  return Array.from({ length: n }, (_, i) => {
    const env = envs[i % envs.length]!;
    return { name: `${env}-c${String(i).padStart(4, '0')}`, env };
  });
}

export function writeGenFleet(dir: string, o: GenOptions): void {
  const envs = o.envs ?? ['dev', 'staging', 'prod'];
  mkdirSync(path.join(dir, 'clusters'), { recursive: true });
  mkdirSync(path.join(dir, 'profiles'), { recursive: true });
  mkdirSync(path.join(dir, 'base'), { recursive: true });
  writeFileSync(
    path.join(dir, 'kiln.yaml'),
    `apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: gen\nspec:\n  environments:\n${envs.map((e) => `    - name: ${e}\n`).join('')}`,
  );
  const docs = clusterNames(o.clusters, envs).map(
    (c) => `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: ${c.name}\n  labels:\n    env: ${c.env}\nspec:\n  environment: ${c.env}\n`,
  );
  writeFileSync(path.join(dir, 'clusters/all.yaml'), docs.join('---\n'));
  writeFileSync(
    path.join(dir, 'profiles/base.yaml'),
    `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: base\nspec:\n  clusterSelector: {}\n  namespace: base\n  components:\n    - name: base\n      manifests:\n        paths: [base]\n`,
  );
  setGenVersion(dir, o.version ?? '1');
}

export function setGenVersion(dir: string, version: string): void {
  writeFileSync(
    path.join(dir, 'base/objects.yaml'),
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  version: "${version}"\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: agent\n`,
  );
}

export function genFleetDir(o: GenOptions): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-gen-'));
  writeGenFleet(dir, o);
  return dir;
}
