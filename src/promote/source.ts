/**
 * Which source commit an environment runs. Publish makes no commit when only provenance would
 * change, so clusters of one environment may carry different `Kiln-Source-Commit`s while running the
 * same objects. They agree on commit S when every carried commit is S or an ancestor of S, and
 * re-rendering S for each cluster that carries another commit gives exactly its current objects.
 * Without `--source`, S is the newest carried commit; `--source` may name a later one.
 */
import { ExitCode, KilnError } from '../errors.js';
import { createOrderer } from '../publish/source-order.js';
import type { RenderedBranch } from '../publish/publish.js';
import { deployedBlobs, sameContent, type BranchHead } from './heads.js';
import { resolveCommit } from '../git/snapshot.js';
import { sourceHistory, type SourceHistory } from '../git/history.js';
import { branchFor } from '../fleet/plan.js';
import type { FleetConfig } from '../model.js';

export interface SourceBranch {
  branch: string;
  /** Cluster names on the branch, comma-separated. */
  cluster: string;
}

export interface SourcePick {
  commit: string;
  /** Branches carrying another (older) commit: their render at `commit` must equal what they hold. */
  toVerify: SourceBranch[];
  /** branch → carried source commit. */
  carried: Record<string, string>;
}

const short = (c: string) => c.slice(0, 12);

function listing(branches: SourceBranch[], heads: Map<string, BranchHead>): string {
  return branches.map((b) => `${b.cluster} @ ${short(heads.get(b.branch)?.sourceCommit ?? '?')}`).join(', ');
}

export async function pickSource(history: SourceHistory, env: string, branches: SourceBranch[], heads: Map<string, BranchHead>, explicit: string | undefined): Promise<SourcePick> {
  const missing = branches.filter((b) => !heads.has(b.branch));
  if (missing.length) {
    throw new KilnError(`refused: ${env} has clusters without a rendered branch: ${missing.map((b) => `${b.cluster} (${b.branch})`).join(', ')}`, {
      exitCode: ExitCode.gateRefused,
      hint: `publish ${env} first (kiln publish --env ${env})`,
    });
  }
  const foreign = branches.filter((b) => !heads.get(b.branch)!.sourceCommit);
  if (foreign.length) {
    throw new KilnError(`refused: the heads of ${foreign.map((b) => b.branch).join(', ')} were not written by kiln (no Kiln-Source-Commit trailer)`, { exitCode: ExitCode.gateRefused });
  }
  const carried = Object.fromEntries(branches.map((b) => [b.branch, heads.get(b.branch)!.sourceCommit!]));
  const commits = [...new Set(Object.values(carried))];
  let commit: string;
  if (explicit !== undefined) {
    commit = await resolveCommit(history.root, explicit, history);
    const order = createOrderer(history, commit);
    const later = [];
    for (const b of branches) if (!['same', 'newer'].includes(await order(carried[b.branch]!))) later.push(b);
    if (later.length) {
      throw new KilnError(`refused: --source ${short(commit)} is not at or after what ${env} carries: ${listing(later, heads)}`, {
        exitCode: ExitCode.gateRefused,
        hint: `pick a commit that contains every commit ${env} carries`,
      });
    }
  } else if (commits.length === 1) {
    commit = commits[0]!;
  } else {
    commit = (await newestOnOneLine(history, commits)) ?? '';
    if (!commit) {
      throw new KilnError(`refused: ${env} clusters disagree and their source commits are not on one line of history: ${listing(branches, heads)}`, {
        exitCode: ExitCode.gateRefused,
        hint: `publish ${env} from one commit, or pass --source <sha> at or after all of them whose render equals each ${env} branch`,
      });
    }
  }
  return { commit, carried, toVerify: branches.filter((b) => carried[b.branch] !== commit) };
}

/** The commit every other one is an ancestor of, or undefined when they diverge. */
export async function newestOnOneLine(root: SourceHistory | string, commits: string[]): Promise<string | undefined> {
  const history = typeof root === 'string' ? sourceHistory(root) : root;
  for (const c of commits) {
    const order = createOrderer(history, c);
    let all = true;
    for (const o of commits) if (!['same', 'newer'].includes(await order(o))) all = false;
    if (all) return c;
  }
  return undefined;
}

/** Refuse unless re-rendering the picked commit for each disagreeing branch gives the objects it holds. */
export function verifySource(env: string, pick: SourcePick, rendered: Map<string, RenderedBranch>, heads: Map<string, BranchHead>): void {
  const differ = pick.toVerify.filter((b) => {
    const r = rendered.get(b.branch);
    return !r || !sameContent(heads.get(b.branch)?.files, deployedBlobs(r.files));
  });
  if (differ.length === 0) return;
  const others = Object.entries(pick.carried).filter(([, c]) => c === pick.commit).map(([b]) => b);
  throw new KilnError(
    `refused: ${env} clusters disagree: ${listing(differ, heads)} run objects that ${short(pick.commit)} (carried by ${others.length ? others.join(', ') : 'no branch'}) renders differently`,
    {
      exitCode: ExitCode.gateRefused,
      hint: `publish ${env} at one commit first (kiln publish --env ${env}), or pass --source <sha> whose render equals every ${env} branch`,
    },
  );
}

/** The environment's branches (clusters sharing one are listed together), from the current config. */
export function branchesOf(config: FleetConfig, env: string): SourceBranch[] {
  const m = new Map<string, string[]>();
  for (const c of config.clusters.filter((k) => k.environment === env)) {
    const b = branchFor(config, c);
    m.set(b, [...(m.get(b) ?? []), c.name]);
  }
  return [...m.entries()].map(([branch, names]) => ({ branch, cluster: names.join(',') })).sort((a, b) => a.branch.localeCompare(b.branch));
}
