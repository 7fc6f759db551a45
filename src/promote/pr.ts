/**
 * `promote --pr`: instead of pushing the target branches, commit each changed branch's render on
 * top of its current head, push it to `kiln/promote/<to>/<sha>` (one per target branch when an
 * environment spans several), and open or update one PR/MR per target branch.
 */
import { KilnError } from '../errors.js';
import { ExecError } from '../exec/exec.js';
import { FastImport, commitTree } from '../git/fast-import.js';
import { parseCommit, readObjects } from '../git/remote.js';
import type { GitSigner } from '../sign/signer.js';
import { git } from '../git/git.js';
import { commitMessage } from '../publish/decide.js';
import type { RenderedBranch } from '../publish/publish.js';
import type { PullRequestResult, Scm } from '../scm/scm.js';
import { fill, loadTemplate } from '../util/text-template.js';
import { counts, type ClusterDiff } from '../diff/compare.js';
import { diffReport } from '../diff/branch-diff.js';
import { DIFF_MARKER, formatMarkdown } from '../diff/markdown.js';
import type { BranchHead, ObjectChanges } from './heads.js';

export interface PromotionChange extends ObjectChanges {
  branch: string;
  cluster: string;
}

export interface PromotionRequest {
  base: string;
  head: string;
  commit?: string;
  changes: PromotionChange[];
  pullRequest?: PullRequestResult;
}

export interface PrContext {
  work: string;
  url: string;
  from: string;
  to: string;
  source: { commit: string; subject: string; repo: string };
  trailers: Record<string, string>;
  notes: string[];
  dryRun: boolean;
  /** Sign the promotion commits as publish signs rendered commits (`commit-tree -S`; fast-import cannot). */
  gitSigner?: GitSigner;
  /** The run's interrupt: no request is started once it fired. */
  signal?: AbortSignal;
  /** Filled as it happens, for the line an interrupt prints: promotion branches pushed, requests opened. */
  done?: PromotionProgress;
}

export interface PromotionProgress {
  /** The push of the promotion branches started (each is then pushed or not: git updates refs atomically). */
  pushing: boolean;
  pushed: PromotionRequest[];
  opened: PromotionRequest[];
}

/** Per branch, counted by `kiln diff`'s rule (objects, default ignores): both commands agree. */
export function changesOf(branches: RenderedBranch[], diffs: Map<string, ClusterDiff>): PromotionChange[] {
  return branches.map((b) => ({ branch: b.branch, cluster: b.cluster, ...counts(diffs.get(b.branch)?.objects ?? []) }));
}

// a PR/MR description has room for less than a comment (GitHub: 65,536 with the rest of the body)
const PR_DIFF_LIMIT = 50_000;

/** The rendered diff a promotion brings, grouped and masked as `kiln diff` shows it, for the PR body. */
export function promotionDiff(diff: ClusterDiff | undefined, ctx: Pick<PrContext, 'from' | 'source'>, base: string): string {
  if (!diff) return '';
  const report = diffReport({ kind: 'published', ref: base }, { kind: 'ref', ref: `what ${ctx.from} runs`, commit: ctx.source.commit }, [], [diff]);
  const md = formatMarkdown(report, { limit: PR_DIFF_LIMIT, outFile: 'kiln diff --base <target> --head <source>' });
  return md.text.replace(`${DIFF_MARKER}\n`, '');
}

const refSafe = (s: string) => s.replace(/[^A-Za-z0-9._,-]+/g, '-');

/** Deterministic per (environment, source commit, target branch), so a re-run finds its request again. */
export function promoteBranchName(to: string, commit: string, cluster: string | undefined): string {
  return `kiln/promote/${refSafe(to)}/${commit.slice(0, 12)}${cluster === undefined ? '' : `/${refSafe(cluster)}`}`;
}

export function promotionBody(ctx: Omit<PrContext, 'work' | 'url' | 'dryRun' | 'trailers'>, base: string, changes: PromotionChange[], diff = ''): string {
  const rows = changes.map((c) => `| \`${c.cluster}\` | \`${c.branch}\` | ${c.added} | ${c.changed} | ${c.removed} |`).join('\n');
  return fill(loadTemplate('promote-pr.md'), {
    to: ctx.to,
    from: ctx.from,
    base,
    sourceCommit: ctx.source.commit,
    sourceShort: ctx.source.commit.slice(0, 12),
    subject: ctx.source.subject.split('\n')[0]!.replace(/\|/g, '\\|') || '(no subject)',
    sourceRepo: ctx.source.repo,
    rows,
    diff,
    notes: ctx.notes.map((n) => `> ${n}\n`).join(''),
  });
}

export async function openPromotionRequests(scm: Scm | undefined, ctx: PrContext, branches: RenderedBranch[], heads: Map<string, BranchHead>, diffs: Map<string, ClusterDiff>, changed: Set<string>, targetBranchCount: number): Promise<PromotionRequest[]> {
  const todo = branches.filter((b) => changed.has(b.branch));
  const missing = todo.filter((b) => !heads.has(b.branch));
  if (missing.length) {
    throw new KilnError(`--pr needs existing target branches to merge into; missing: ${missing.map((b) => b.branch).join(', ')}`, {
      hint: `create them once without --pr (kiln promote --from ${ctx.from} --to ${ctx.to}, or kiln publish --env ${ctx.to})`,
    });
  }
  const requests: PromotionRequest[] = todo.map((b) => ({
    base: b.branch,
    head: promoteBranchName(ctx.to, ctx.source.commit, targetBranchCount === 1 ? undefined : b.cluster),
    changes: changesOf([b], diffs),
  }));
  if (ctx.dryRun || requests.length === 0) return requests;
  if (!scm) throw new KilnError('--pr needs a forge to open pull/merge requests on', { hint: 'run in GitHub Actions or GitLab CI, or pass the forge flags' });

  const writer = new FastImport(ctx.work);
  const message = commitMessage(ctx.source, ctx.trailers);
  const marks = new Map<string, number>();
  try {
    for (const b of todo) marks.set(b.branch, await writer.commit({ ref: 'refs/kiln/promote', parent: heads.get(b.branch)!.commit, message, files: b.files }));
  } catch (e) {
    await writer.abort();
    throw e;
  }
  const ids = await writer.finish();
  for (const r of requests) r.commit = ids.get(marks.get(r.base)!);
  if (ctx.gitSigner) {
    const written = await readObjects(ctx.work, requests.map((r) => r.commit!));
    for (const r of requests) r.commit = await commitTree(ctx.work, parseCommit(written.get(r.commit!)!.body).tree, heads.get(r.base)!.commit, message, ctx.gitSigner);
  }
  // the promote branch is ours alone: a re-run replaces it (force), its base is the live target head
  const refspecs = requests.map((r) => `+${r.commit}:refs/heads/${r.head}`);
  if (ctx.done) ctx.done.pushing = true;
  try {
    await git(ctx.work, ['push', '--porcelain', ctx.url, ...refspecs], { timeoutMs: 600_000 });
  } catch (e) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    throw new KilnError(`pushing the promotion branches failed: ${e instanceof ExecError ? e.toolMessage : String(e)}`, { hint: 'check that the remote accepts pushes to kiln/promote/*' });
  }
  ctx.done?.pushed.push(...requests);
  const title = fill(loadTemplate('promote-title.md'), { to: ctx.to, sourceShort: ctx.source.commit.slice(0, 12), subject: ctx.source.subject.split('\n')[0]! }).trim();
  for (const r of requests) {
    if (ctx.signal?.aborted) throw ctx.signal.reason;
    r.pullRequest = await scm.upsertPullRequest({ head: r.head, base: r.base, title: targetBranchCount === 1 ? title : `${title} (${r.changes[0]!.cluster})`, body: promotionBody(ctx, r.base, r.changes, promotionDiff(diffs.get(r.base), ctx, r.base)) });
    ctx.done?.opened.push(r);
  }
  return requests;
}
