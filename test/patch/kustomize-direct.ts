/** Kustomize run by hand over every object with the patches: the reference kiln's post-patches must equal. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withTemporaryName, withoutTemporaryName } from '../../src/manifests/generate-name.js';
import { parseManifests } from '../../src/manifests/parse.js';
import { serializeObject } from '../../src/manifests/serialize.js';
import type { K8sObject, PatchSpec } from '../../src/model.js';
import { kustomizeTool, tmp } from '../helpers/tools.js';

export function kustomizeDirect(objs: K8sObject[], patches: PatchSpec[]): K8sObject[] {
  const dir = tmp();
  mkdirSync(dir, { recursive: true });
  // generateName objects go in under kiln's temporary name, as kiln sends them
  writeFileSync(path.join(dir, 'res.yaml'), objs.map((o) => serializeObject(withTemporaryName(o))).join('---\n'));
  const kz = ['resources: [res.yaml]', 'patches:'];
  patches.forEach((p, i) => {
    writeFileSync(path.join(dir, `p${i}.yaml`), typeof p.patch === 'string' ? p.patch : JSON.stringify(p.patch));
    kz.push(`- path: p${i}.yaml`);
    if (p.target) kz.push(`  target: ${JSON.stringify(p.target)}`);
  });
  writeFileSync(path.join(dir, 'kustomization.yaml'), kz.join('\n') + '\n');
  return parseManifests(execFileSync(kustomizeTool().path, ['build', dir], { encoding: 'utf8' }), { source: 'kustomize' }).map(withoutTemporaryName);
}
