/**
 * SLSA v1 provenance of a rendered tree, from what `.kiln/metadata.yaml` already records: the source
 * repo and commit, kiln's version, every tool version, every component's command and input hash.
 * No timestamps (the branch stays byte-identical for the same inputs). On a branch the statement's
 * subject is the git tree id of each output path, so `.kiln/provenance.json` can sit beside it
 * without naming itself; on an artifact cosign makes the subject the manifest digest.
 */
import { parse as parseYaml } from 'yaml';
import { treeId } from '../git/objects.js';

export const PROVENANCE_PATH = '.kiln/provenance.json';
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';
export const KILN_BUILD_TYPE = 'https://kiln.dev/render/v1';

type Meta = Record<string, unknown>;
interface ComponentMeta {
  name?: string;
  engine?: string;
  command?: string[];
  inputHash?: string;
}

/** The SLSA provenance predicate for a tree whose `.kiln/metadata.yaml` text is `metadataText`. */
export function provenancePredicate(metadataText: string): Record<string, unknown> {
  const meta = (parseYaml(metadataText) ?? {}) as Meta;
  // a shared branch lists each cluster's fields under `clusters`
  const clusters: Record<string, Meta> = meta.clusters && typeof meta.clusters === 'object' ? (meta.clusters as Record<string, Meta>) : { [String(meta.cluster ?? '')]: meta };
  const tools: Record<string, string> = {};
  const deps: Array<Record<string, unknown>> = [];
  const repo = String(meta.sourceRepo ?? '');
  const commit = String(meta.sourceCommit ?? '');
  if (repo && /^[0-9a-f]{40}$/.test(commit)) deps.push({ uri: `git+${repo}${meta.sourceRef ? `@${String(meta.sourceRef)}` : ''}`, digest: { gitCommit: commit } });
  const params: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(clusters).sort(([a], [b]) => a.localeCompare(b))) {
    Object.assign(tools, (c.tools ?? {}) as Record<string, string>);
    const profiles = (c.profiles ?? {}) as Record<string, { components?: ComponentMeta[] }>;
    params[name] = { environment: c.environment, profiles: Object.keys(profiles).sort() };
    for (const [profile, p] of Object.entries(profiles).sort(([a], [b]) => a.localeCompare(b))) {
      for (const comp of p.components ?? []) {
        const hash = /^(?:sha256:)?([0-9a-f]{64})$/.exec(comp.inputHash ?? '')?.[1];
        deps.push({ name: `${name}/${profile}/${comp.name ?? ''}`, ...(hash ? { digest: { sha256: hash } } : {}), annotations: { engine: comp.engine, command: comp.command, inputHash: comp.inputHash } });
      }
    }
  }
  return {
    buildDefinition: {
      buildType: KILN_BUILD_TYPE,
      externalParameters: { source: { repository: repo, ref: meta.sourceRef ?? '', commit }, clusters: params },
      internalParameters: { tools: Object.fromEntries(Object.entries(tools).sort(([a], [b]) => a.localeCompare(b))) },
      resolvedDependencies: deps,
    },
    runDetails: { builder: { id: 'https://kiln.dev/kiln', version: { kiln: String(meta.kilnVersion ?? '') } } },
  };
}

/**
 * The in-toto statement for a branch: one subject per output path (`dirs`), its digest the git tree
 * id of that directory (`git rev-parse <commit>:<dir>`), then the predicate.
 */
export function branchStatement(files: Map<string, string>, dirs: string[], metadataText: string): string {
  const subject = [...new Set(dirs)].sort().map((dir) => {
    const inside = new Map([...files].filter(([p]) => p.startsWith(`${dir}/`)).map(([p, c]) => [p.slice(dir.length + 1), c]));
    return { name: dir, digest: { gitTree: treeId(inside) } };
  });
  return `${JSON.stringify({ _type: IN_TOTO_STATEMENT_V1, subject, predicateType: SLSA_PROVENANCE_V1, predicate: provenancePredicate(metadataText) }, null, 2)}\n`;
}
