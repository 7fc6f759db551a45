/** Promotion test helpers: a small generated fleet in a real git repo, and a recording fake forge. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { CommitState, PullRequestResult, Scm } from '../../src/scm/scm.js';
import { gitIn, makeFleetRepo, showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';

/** dev-c0000, staging-c0001, prod-c0002, dev-c0003, staging-c0004, prod-c0005; `prodFreeze` is YAML for prod's freeze list; `envBranches` puts each environment on one branch. */
export function promoteFleet(prodFreeze?: string, envBranches = false): FleetRepo {
  const dir = genFleetDir({ clusters: 6 });
  const freeze = prodFreeze ? `      freeze:\n${prodFreeze.replace(/^/gm, '        ')}\n` : '';
  writeFileSync(
    path.join(dir, 'kiln.yaml'),
    `apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: gen\nspec:\n  environments:\n    - name: dev\n    - name: staging\n    - name: prod\n${freeze}${envBranches ? '  output:\n    branch: "env/{{ .Cluster.environment }}"\n    path: "clusters/{{ .Cluster.name }}"\n' : ''}`,
  );
  return makeFleetRepo(dir);
}

export const ENV_CLUSTERS: Record<string, string[]> = { dev: ['dev-c0000', 'dev-c0003'], staging: ['staging-c0001', 'staging-c0004'], prod: ['prod-c0002', 'prod-c0005'] };
export const branchOf = (c: string) => `rendered/${c.split('-')[0]}/${c}`;

/** The source commit a branch's metadata and head trailer name (asserted equal). */
export function carried(repo: FleetRepo, cluster: string): string {
  const b = branchOf(cluster);
  const trailer = /Kiln-Source-Commit: (\w+)/.exec(gitIn(repo.remote, 'log', '-1', '--format=%B', b))?.[1];
  return trailer ?? 'none';
}

export function metaCommit(repo: FleetRepo, cluster: string): string {
  return parse(showFile(repo.remote, branchOf(cluster), '.kiln/metadata.yaml')).sourceCommit;
}

export function headMessage(repo: FleetRepo, branch: string): string {
  return gitIn(repo.remote, 'log', '-1', '--format=%B', branch);
}

/** A forge in memory: statuses keyed by sha+context, PRs keyed by head+base (upsert semantics as GitHub/GitLab). */
export class FakeScm implements Scm {
  readonly kind = 'github' as const;
  statuses = new Map<string, CommitState>();
  asked: Array<{ sha: string; context: string }> = [];
  prs = new Map<string, { number: number; head: string; base: string; title: string; body: string }>();
  upserts = 0;
  async upsertComment(): Promise<never> {
    throw new Error('not used by promote');
  }
  listComments = this.upsertComment;
  createComment = this.upsertComment;
  updateComment = this.upsertComment;
  deleteComment = this.upsertComment;
  async commitState(sha: string, context: string): Promise<CommitState> {
    this.asked.push({ sha, context });
    return this.statuses.get(`${sha} ${context}`) ?? 'missing';
  }
  async upsertPullRequest(o: { head: string; base: string; title: string; body: string }): Promise<PullRequestResult> {
    this.upserts++;
    const key = `${o.head} ${o.base}`;
    const old = this.prs.get(key);
    const number = old?.number ?? this.prs.size + 1;
    this.prs.set(key, { number, ...o });
    return { number, url: `http://127.0.0.1/pr/${number}`, action: old ? 'updated' : 'created' };
  }
}
