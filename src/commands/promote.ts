import { loadConfig } from '../config/load.js';
import { ExitCode, InterruptedError, KilnError } from '../errors.js';
import { repoTop, scratchRepo } from '../git/git.js';
import { sourceHistory } from '../git/history.js';
import type { FleetConfig } from '../model.js';
import { freezeGate, clockNow, type FrozenEnvironment } from '../promote/freeze.js';
import { statusGate, type StatusCheck } from '../promote/gates.js';
import { deployedBlobs, readBranchHeads, sameContent, type ObjectChanges } from '../promote/heads.js';
import { diffBranches, fleetCompareOptions } from '../diff/branch-diff.js';
import { changesOf, openPromotionRequests, type PromotionProgress, type PromotionRequest } from '../promote/pr.js';
import { renderAt } from '../promote/render-at.js';
import { branchesOf, pickSource, verifySource, type SourceBranch } from '../promote/source.js';
import { branchFor } from '../fleet/plan.js';
import { actionText, publishBranches, type BranchOutcome } from '../publish/publish.js';
import type { OciOutcome } from '../oci/publish.js';
import { commitTime, ociAfterPush, ociTargets } from '../oci/targets.js';
import { publishArtifactsOnly } from '../oci/artifacts-only.js';
import { storedArtifactHeads } from '../oci/stored-heads.js';
import { signersFromEnv } from '../sign/signer.js';
import { cacheDir } from './options.js';
import { resolveRemote } from '../publish/remote-url.js';
import { createOrderer } from '../publish/source-order.js';
import type { Scm } from '../scm/scm.js';
import type { GlobalOptions } from './options.js';

export interface PromoteOptions {
  /** Default: the environment before `to` in `spec.environments`. */
  from?: string;
  to: string;
  remote: string;
  /** Promote this source commit instead of the newest one the `from` clusters carry. */
  source?: string;
  dryRun: boolean;
  pr: boolean;
  /** Status contexts that must be `success` on every `from` branch head. */
  requireStatus: string[];
  breakGlass?: string;
  allowRollback: boolean;
  force: boolean;
  maxAttempts?: number;
  /** The clock for freeze windows (default: KILN_NOW or now). */
  now?: Date;
}

export interface PromoteDeps {
  /** The forge for `--require-status` and `--pr`. */
  scm?: Scm;
}

export interface PromoteResult {
  from: string;
  to: string;
  remote: string;
  dryRun: boolean;
  pr: boolean;
  sourceCommit: string;
  sourceSubject: string;
  /** `from` branch → the source commit its head carries. */
  carried: Record<string, string>;
  checks: StatusCheck[];
  /** Freezes broken with --break-glass. */
  brokeFreeze: FrozenEnvironment[];
  /** Target branches moved back to an older source commit (--allow-rollback). */
  rollback: Array<{ branch: string; from: string }>;
  changes: Array<ObjectChanges & { branch: string; cluster: string }>;
  /** Push mode: what happened to each target branch. */
  branches: BranchOutcome[];
  /** --pr mode: one request per changed target branch. */
  requests: PromotionRequest[];
  /** spec.output.oci (push mode): the target clusters' artifacts for the promoted commit. */
  oci: OciOutcome[];
  exitCode: number;
}

/** `kiln promote`: publish the `to` environment at the source commit the `from` environment runs. */
export async function promote(g: GlobalOptions, opts: PromoteOptions, deps: PromoteDeps = {}): Promise<PromoteResult> {
  const { config } = await loadConfig({ cwd: g.cwd, config: g.config });
  const from = pickFrom(config, opts);
  const now = opts.now ?? clockNow();
  // freezes declared now bind, whatever commit is promoted; the promoted commit's own are checked below
  let freeze = freezeGate(config, [opts.to], now, opts.breakGlass, `promote to ${opts.to}`);
  const root = await repoTop(config.root);
  if (config.output.hydrator) {
    throw new KilnError('this fleet uses the Source Hydrator layout (spec.output.hydrator): GitOps Promoter promotes, by merging each <branch>-next into <branch>', {
      hint: 'kiln publish hydrates every environment\'s <branch>-next at the dry commit; let the PromotionStrategy move them',
    });
  }
  const artifactsOnly = config.output.branches === false;
  if (artifactsOnly && opts.pr) throw new KilnError('--pr needs rendered branches to open a request from; this fleet has spec.output.branches: false', { hint: 'promote without --pr (it pushes the target clusters\' artifacts), or turn branches on' });
  if (artifactsOnly && opts.requireStatus.length) throw new KilnError('--require-status reads commit statuses of rendered branch heads; this fleet has spec.output.branches: false', { hint: 'gate on your CD health another way, or turn branches on' });
  const url = artifactsOnly ? config.output.oci!.repository : await resolveRemote(config.root, opts.remote);
  const srcBranches = branchesOf(config, from);
  if (srcBranches.length === 0) throw new KilnError(`environment "${from}" has no clusters to promote from`);

  const { dir: work, remove } = await scratchRepo('kiln-promote-');
  const done: PromotionProgress = { pushing: false, pushed: [], opened: [] };
  try {
    // artifacts only: what each cluster's moving tag holds, its files stored in `work` for the diffs
    const readHeads = async (cfg: FleetConfig, env: string, branches: string[]) =>
      artifactsOnly ? await storedArtifactHeads(work, env, cfg, cfg.clusters.filter((c) => c.environment === env)) : await readBranchHeads(work, url, branches);
    const srcHeads = await readHeads(config, from, srcBranches.map((b) => b.branch));
    const history = sourceHistory(root);
    const pick = await pickSource(history, from, srcBranches, srcHeads, opts.source);
    let checks: StatusCheck[] = [];
    if (opts.requireStatus.length) {
      if (!deps.scm) throw new KilnError('--require-status needs a forge to read commit statuses from', { hint: 'run in GitHub Actions or GitLab CI, or pass --forge/--forge-url/--forge-repo' });
      checks = await statusGate(deps.scm, opts.requireStatus, srcBranches, srcHeads);
    }

    const verifyClusters = new Set(pick.toVerify.flatMap((b) => b.cluster.split(',')));
    g.logger.info(`promoting ${opts.to} to ${pick.commit.slice(0, 12)} (what ${from} runs); rendering it from the fleet repo's history`);
    const at = await renderAt(g, pick.commit, (c) => ({
      clusters: c.clusters.filter((k) => k.environment === opts.to || verifyClusters.has(k.name)).map((k) => k.name),
    }));
    verifySource(from, pick, new Map(at.branches.map((b) => [b.branch, b])), srcHeads);
    if (!at.config.environments.some((e) => e.name === opts.to)) throw new KilnError(`environment "${opts.to}" does not exist at ${pick.commit.slice(0, 12)}`);
    const atFreeze = freezeGate(at.config, [opts.to], now, opts.breakGlass, `promote to ${opts.to}`);
    if (!freeze.frozen.length) freeze = atFreeze;

    const target = at.branches.filter((b) => b.environment === opts.to);
    if (target.length === 0) throw new KilnError(`environment "${opts.to}" has no clusters at ${pick.commit.slice(0, 12)}`);
    const heads = await readHeads(at.config, opts.to, target.map((b) => b.branch));
    const changed = new Set(target.filter((b) => !sameContent(heads.get(b.branch)?.files, deployedBlobs(b.files))).map((b) => b.branch));
    const diffs = new Map(
      // counted and shown as `kiln diff` would, with the diffIgnore of the profiles being promoted
      (await diffBranches(work, target.map((b) => ({ branch: b.branch, cluster: b.cluster, environment: b.environment, before: heads.get(b.branch)?.files, after: b.files })), fleetCompareOptions(at.config.profiles))).map((d) => [d.summary.branch, d]),
    );

    const order = createOrderer(history, pick.commit);
    const rollback: PromoteResult['rollback'] = [];
    for (const b of changed) {
      const theirs = heads.get(b)?.sourceCommit;
      if (theirs && (await order(theirs)) === 'older') rollback.push({ branch: b, from: theirs });
    }
    if (rollback.length && !opts.allowRollback) {
      throw new KilnError(`refused: ${rollback.map((r) => `${r.branch} carries ${r.from.slice(0, 12)}`).join(', ')}, newer than ${pick.commit.slice(0, 12)}: promoting would roll back`, {
        exitCode: ExitCode.gateRefused,
        hint: 'pass --allow-rollback to roll back on purpose',
      });
    }
    for (const r of rollback) g.logger.warn(`${r.branch}: rolling back from ${r.from.slice(0, 12)} to ${pick.commit.slice(0, 12)} (--allow-rollback)`);

    const trailers = { 'Kiln-Promoted-From': from, ...freeze.trailers };
    const source = { commit: pick.commit, subject: at.source.subject, repo: at.source.repo };
    const result: PromoteResult = {
      from, to: opts.to, remote: url, dryRun: opts.dryRun, pr: opts.pr, sourceCommit: pick.commit, sourceSubject: at.source.subject, carried: pick.carried, checks,
      brokeFreeze: freeze.frozen, rollback, changes: changesOf(target, diffs), branches: [], requests: [], oci: [], exitCode: ExitCode.ok,
    };
    const signers = await signersFromEnv(g.logger);
    if (opts.pr) {
      const notes = rollback.length ? [`Rolls back ${rollback.map((r) => `\`${r.branch}\` from \`${r.from.slice(0, 12)}\``).join(', ')}.`] : [];
      if (freeze.frozen.length) notes.push(`Deploy freeze overridden: ${freeze.trailers['Kiln-Break-Glass']}`);
      result.requests = await openPromotionRequests(deps.scm, { work, url, from, to: opts.to, source, trailers, notes, dryRun: opts.dryRun, gitSigner: signers.git, signal: g.signal, done }, target, heads, diffs, changed, target.length);
      // a signal after the last request: all of it was done, and the line says so
      if (g.signal?.aborted) throw g.signal.reason;
      return result;
    }
    if (artifactsOnly) {
      // push (or, for a digest the registry holds, tag) each target cluster's artifact for the promoted commit
      result.oci = await publishArtifactsOnly({
        source, created: (await commitTime(root, pick.commit)) ?? '1970-01-01T00:00:00Z', targets: ociTargets(at.config, at.config.clusters.filter((c) => c.environment === opts.to)),
        movingTag: at.config.output.oci?.tag ?? config.output.oci!.tag, order, dryRun: opts.dryRun, force: opts.force, allowOlder: opts.allowRollback, logger: g.logger, signer: signers.oci, signal: g.signal,
        render: async (on) => {
          for (const b of target) await on(b);
          return new Set<string>();
        },
      });
      for (const o of result.oci) if (o.action === 'skipped-older' || o.action === 'conflict') g.logger.warn(`${o.repository}: not promoted, ${o.reason}`);
      result.exitCode = result.oci.some((o) => o.action === 'conflict') ? ExitCode.conflict : ExitCode.ok;
      return result;
    }
    const { outcomes } = await publishBranches({
      root, history, url, source, tmpDir: work, dryRun: opts.dryRun, force: opts.force, allowOlder: opts.allowRollback, maxAttempts: opts.maxAttempts ?? 5, atomic: true, logger: g.logger, trailers,
      render: async (on) => {
        for (const b of target) await on(b);
      },
      branches: target.map((b) => ({ branch: b.branch, cluster: b.cluster, environment: b.environment })),
      gitSigner: signers.git,
      progress: g.progress,
      signal: g.signal,
      rerun: 'promote',
      // the promoted commit's config names the target clusters and their repositories
      afterPush: ociAfterPush(at.config, at.config.clusters.filter((c) => c.environment === opts.to), { url, root, cacheDir: process.env.KILN_RENDER_CACHE === 'off' ? undefined : cacheDir(), signer: signers.oci, logger: g.logger, into: result.oci }),
    });
    for (const o of outcomes) {
      if (o.action === 'skipped-older') g.logger.warn(`${o.branch}: left alone, ${o.reason}`);
      if (o.action === 'conflict') g.logger.error(`${o.branch}: not promoted, ${o.reason}`);
    }
    const moved = outcomes.filter((o) => o.action === 'created' || o.action === 'updated').length;
    if (g.signal?.aborted) throw new InterruptedError((g.signal.reason as InterruptedError).signal ?? 'SIGINT', `after the push: ${moved} branch(es) promoted, the others unchanged`);
    result.branches = outcomes;
    result.exitCode = outcomes.some((o) => o.action === 'conflict') ? ExitCode.conflict : ExitCode.ok;
    return result;
  } catch (e) {
    throw interruptedPromote(g.signal, e, `promote ${from} → ${opts.to}`, opts, done) ?? e;
  } finally {
    await remove();
  }
}

/** The one line of an interrupted promote: which promotions were done (branches pushed, requests opened) and which not. */
function interruptedPromote(signal: AbortSignal | undefined, e: unknown, what: string, opts: PromoteOptions, done: PromotionProgress): InterruptedError | undefined {
  const r: unknown = signal?.reason;
  if (!signal?.aborted || !(r instanceof InterruptedError)) return undefined;
  if (opts.dryRun) return new InterruptedError(r.signal, `${what}: nothing was promoted (dry run)`);
  if (!opts.pr) {
    // the publish engine says what the push did; before it, nothing was pushed
    const pushed = e instanceof InterruptedError && e.done ? e.done : `nothing was promoted; the ${opts.to} branches are untouched`;
    return new InterruptedError(r.signal, `${what}: ${pushed}`);
  }
  if (!done.pushed.length) {
    return new InterruptedError(r.signal, `${what}: no request opened; ${done.pushing ? 'the push of the promotion branches (kiln/promote/*) was cut short: each is pushed or not, a re-run replaces them' : 'no promotion branch pushed'}`);
  }
  const notOpened = done.pushed.filter((q) => !done.opened.includes(q));
  const list = (qs: string[]) => (qs.length > 3 ? `${qs.slice(0, 3).join(', ')}, …` : qs.join(', '));
  return new InterruptedError(
    r.signal,
    `${what}: ${done.pushed.length} promotion branch(es) pushed; ${done.opened.length} request(s) opened` +
      (done.opened.length ? ` (${list(done.opened.map((q) => q.pullRequest?.url ?? q.base))})` : '') +
      (notOpened.length ? `, ${notOpened.length} not (into ${list(notOpened.map((q) => q.base))}): run promote --pr again to open them` : ''),
  );
}

function pickFrom(config: FleetConfig, opts: PromoteOptions): string {
  const names = config.environments.map((e) => e.name);
  const to = names.indexOf(opts.to);
  if (to < 0) throw new KilnError(`--to "${opts.to}" is not an environment of this fleet`, { hint: `known: ${names.join(', ')}` });
  const from = opts.from ?? names[to - 1];
  if (from === undefined) throw new KilnError(`--to ${opts.to} is the first environment: there is nothing to promote from`, { hint: 'publish it with kiln publish' });
  const i = names.indexOf(from);
  if (i < 0) throw new KilnError(`--from "${from}" is not an environment of this fleet`, { hint: `known: ${names.join(', ')}` });
  if (i >= to) throw new KilnError(`--from ${from} does not come before --to ${opts.to} in spec.environments (${names.join(' → ')})`);
  return from;
}

/** Kept for callers that took it from here; it lives in promote/source.ts. */
export { branchesOf };

export function formatPromote(r: PromoteResult): string {
  const lines: string[] = [];
  const changeOf = (b: string) => r.changes.find((c) => c.branch === b);
  const counts = (b: string) => {
    const c = changeOf(b);
    return c ? ` +${c.added} ~${c.changed} -${c.removed}` : '';
  };
  for (const b of r.branches) lines.push(`${actionText(b.action, r.dryRun).padEnd(13)} ${b.branch}${b.commit && b.action !== 'unchanged' ? ` ${b.commit.slice(0, 12)}` : ''}${b.action === 'unchanged' ? '' : counts(b.branch)}${b.reason ? ` (${b.reason})` : ''}`);
  for (const q of r.requests) lines.push(`${r.dryRun ? 'would open' : (q.pullRequest?.action ?? 'pushed').padEnd(10)} ${q.head} → ${q.base}${counts(q.base)}${q.pullRequest ? ` ${q.pullRequest.url}` : ''}`);
  for (const x of r.rollback) lines.push(`rollback     ${x.branch} from ${x.from.slice(0, 12)}`);
  for (const o of r.oci) if (o.action !== 'unchanged') lines.push(`oci ${o.action.padEnd(9)} ${o.repository}@${o.digest} (${o.tags.join(', ')})${o.signed ? ' signed' : ''}`);
  for (const f of r.brokeFreeze) lines.push(`break-glass  ${f.environment} frozen (${f.reasons.join('; ')})`);
  const nothing = r.pr ? r.requests.length === 0 : r.branches.length > 0 && r.branches.every((b) => b.action === 'unchanged');
  if (nothing) {
    lines.push(`nothing to promote: ${r.to} already runs what ${r.sourceCommit.slice(0, 12)} renders (from ${r.from})`);
    return lines.join('\n');
  }
  const verb = r.dryRun ? 'would promote' : r.pr ? 'requested promotion of' : 'promoted';
  lines.push(`${verb} ${r.to} to ${r.sourceCommit.slice(0, 12)} ${r.sourceSubject} (from ${r.from})`.trimEnd());
  return lines.join('\n');
}
