/** The exact file set of one rendered branch: README.md, .kiln/metadata.yaml, one file per object. */
import { parse as parseYaml } from 'yaml';
import type { K8sObject } from '../model.js';
import type { SourceInfo } from '../git/source.js';
import { fill, loadTemplate } from '../util/text-template.js';
import { assignFileNames } from './file-names.js';
import { compareObjects, keyOf } from './keys.js';
import { serializeData, serializeObject } from './serialize.js';
import { branchStatement, PROVENANCE_PATH } from '../sign/provenance.js';

export interface ComponentProvenance {
  name: string;
  engine: string;
  command: string[];
  inputHash: string;
}

export interface ProfileResult {
  name: string;
  components: ComponentProvenance[];
  objects: K8sObject[];
}

export interface TreeInput {
  cluster: string;
  environment: string;
  outputPath: string;
  source: SourceInfo;
  kilnVersion: string;
  tools: Record<string, string>;
  profiles: ProfileResult[];
  /** Also write `.kiln/provenance.json` (an in-toto SLSA statement; src/sign/provenance.ts). */
  provenance?: boolean;
  /** Filled with path → the object each object file was written from (the checks read its value off it, not the file). */
  writtenFrom?: Map<string, K8sObject>;
}

export const METADATA_PATH = '.kiln/metadata.yaml';

/** Path → content, in sorted path order, byte-for-byte what the branch holds. */
export function buildTree(input: TreeInput): Map<string, string> {
  const files = new Map<string, string>();
  let total = 0;
  const metaProfiles: Record<string, unknown> = {};
  for (const p of input.profiles) {
    const objects = [...p.objects].sort(compareObjects);
    const names = assignFileNames(objects);
    for (const o of objects) {
      const file = `${input.outputPath}/${p.name}/${names.get(keyOf(o))}`;
      files.set(file, serializeObject(o));
      input.writtenFrom?.set(file, o);
    }
    total += objects.length;
    metaProfiles[p.name] = {
      components: p.components.map((c) => ({ name: c.name, engine: c.engine, command: c.command, inputHash: c.inputHash })),
      objects: objects.length,
    };
  }
  const metadata = {
    sourceRepo: input.source.repo,
    sourceCommit: input.source.commit,
    sourceRef: input.source.ref,
    ...(input.source.dirty ? { sourceDirty: true } : {}),
    environment: input.environment,
    cluster: input.cluster,
    kilnVersion: input.kilnVersion,
    tools: sortKeys(input.tools),
    profiles: metaProfiles,
    objects: total,
  };
  files.set(METADATA_PATH, serializeData(metadata));
  if (input.provenance) files.set(PROVENANCE_PATH, branchStatement(files, [input.outputPath], files.get(METADATA_PATH)!));
  files.set('README.md', readme(input, total));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function readme(input: TreeInput, total: number): string {
  const profiles = input.profiles.length
    ? input.profiles
        .map((p) => `- \`${p.name}\`: ${p.objects.length} objects from ${p.components.map((c) => `${c.name} (${c.engine})`).join(', ') || 'no components'}`)
        .join('\n')
    : '_No profile selects this cluster._';
  return fill(loadTemplate('branch-readme.md'), {
    cluster: input.cluster,
    environment: input.environment,
    sourceRepo: input.source.repo,
    sourceCommit: input.source.commit + (input.source.dirty ? ' (with uncommitted changes)' : ''),
    sourceRef: input.source.ref,
    objects: total,
    outputPath: input.outputPath,
    profiles,
  });
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Several clusters on one branch (an environment branch with `output.path: clusters/{{ .Cluster.name }}`):
 * each keeps its own directory; `.kiln/metadata.yaml` lists every cluster's provenance under `clusters`.
 */
export function mergeBranchTrees(branch: string, trees: Array<{ cluster: string; files: Map<string, string> }>): Map<string, string> {
  if (trees.length === 1) return trees[0]!.files;
  const files = new Map<string, string>();
  const clusters: Record<string, Record<string, unknown>> = {};
  let objects = 0;
  let head: Record<string, unknown> = {};
  const dirs: string[] = [];
  for (const t of [...trees].sort((a, b) => a.cluster.localeCompare(b.cluster))) {
    for (const [p, c] of t.files) if (p !== METADATA_PATH && p !== 'README.md' && p !== PROVENANCE_PATH) files.set(p, c);
    const prov = t.files.get(PROVENANCE_PATH);
    if (prov) dirs.push(...(JSON.parse(prov) as { subject: Array<{ name: string }> }).subject.map((s) => s.name));
    const meta = parseYaml(t.files.get(METADATA_PATH) ?? '{}') as Record<string, unknown>;
    const { sourceRepo, sourceCommit, sourceRef, sourceDirty, kilnVersion, ...rest } = meta;
    head = { sourceRepo, sourceCommit, sourceRef, ...(sourceDirty ? { sourceDirty } : {}), kilnVersion };
    clusters[t.cluster] = rest;
    objects += Number(rest.objects ?? 0);
  }
  files.set(METADATA_PATH, serializeData({ ...head, branch, clusters, objects }));
  if (dirs.length) files.set(PROVENANCE_PATH, branchStatement(files, dirs, files.get(METADATA_PATH)!));
  const list = Object.entries(clusters)
    .map(([name, m]) => `- \`${name}\` (${String(m.environment)}): ${String(m.objects)} objects`)
    .join('\n');
  files.set('README.md', fill(loadTemplate('shared-branch-readme.md'), { branch, sourceRepo: String(head.sourceRepo), sourceCommit: String(head.sourceCommit), clusters: list }));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
