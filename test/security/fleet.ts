/** Small fleets for the security tests, written into a temp dir (every engine, one cluster). */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), content);
  }
}

export const FLEET = 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: sec\nspec:\n  environments:\n    - name: dev\n';

export function cluster(vars: Record<string, unknown> = {}, extra = ''): string {
  return `apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: dev-1\nspec:\n  environment: dev\n  kubeVersion: "1.31.4"\n  vars: ${JSON.stringify(vars)}\n${extra}`;
}

/** Every file under `dir` (relative path → bytes as text), symlinks not followed. */
export { readTree } from '../helpers/fleet-repo.js';
