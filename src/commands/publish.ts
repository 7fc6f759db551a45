import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { fleetRoot, loadConfig } from '../config/load.js';
import { ExitCode, InterruptedError, KilnError, warningLine } from '../errors.js';
import { pushedState, sourceHistory, type SourceHistory } from '../git/history.js';
import { inputsNotInCommit, notInCommitMessage } from '../git/inputs-in-commit.js';
import { snapshotAt, type Snapshot } from '../git/snapshot.js';
import { sourceInfo } from '../git/source.js';
import { shownChanges, workTreeChanges } from '../git/work-tree-changes.js';
import { branchFor, selectClusters, type ClusterPlan, type Selection } from '../fleet/plan.js';
import { branchCollector, groupByBranch } from '../fleet/branches.js';
import { hasRememberedRenders, rememberedRenders, unchangedBranches, type Remembered } from '../fleet/cluster-memo.js';
import { prepareRender, type Prepared } from '../fleet/prepare.js';
import { renderFleet } from '../fleet/render-fleet.js';
import { METADATA_PATH } from '../manifests/tree.js';
import type { FleetConfig, K8sObject, Warning } from '../model.js';
import { summarize, type CheckSummary, type ClusterCheck } from '../check/model.js';
import { checkerFor, failingChecks, logCheckStats, logFindings } from '../check/gate.js';
import { clockNow, freezeGate, type FrozenEnvironment } from '../promote/freeze.js';
import { actionText, publishBranches, type BranchOutcome, type RenderedBranch } from '../publish/publish.js';
import type { OciOutcome } from '../oci/publish.js';
import { commitTime, ociAfterPush, ociTargets } from '../oci/targets.js';
import { publishArtifactsOnly } from '../oci/artifacts-only.js';
import { activeBranch, hydratorLayout, nextBranch } from '../publish/hydrator.js';
import { createOrderer } from '../publish/source-order.js';
import { signersFromEnv } from '../sign/signer.js';
import { branchPrefix, resolveRemote } from '../publish/remote-url.js';
import { warmRenderers } from '../render/index.js';
import { lsRemoteHeads } from '../git/remote.js';
import type { GlobalOptions } from './options.js';

export interface PublishOptions extends Selection {
  remote: string;
  dryRun: boolean;
  /** Publish a previous `kiln render --out DIR` instead of rendering. */
  from?: string;
  force: boolean;
  allowDirty: boolean;
  /** Publish a source commit that is on no branch of the fleet repo's remote. */
  allowUnpushed?: boolean;
  maxAttempts?: number;
  trailers?: Record<string, string>;
  /** Publish into an environment's deploy freeze, for this recorded reason. */
  breakGlass?: string;
  /** The clock for freeze windows (default: KILN_NOW or now). */
  now?: Date;
  /** Skip the checks of what is published (`--no-check`). */
  noCheck?: boolean;
  /** Publish even when checks find errors (`--allow-failing-checks`). */
  allowFailingChecks?: boolean;
}

export interface PublishResult {
  /** The rendered-branches remote; with `spec.output.branches: false` the OCI repository template. */
  remote: string;
  /** `spec.output.branches: false`: no branches, `oci` is the whole outcome. */
  artifactsOnly?: true;
  dryRun: boolean;
  sourceCommit: string;
  branches: BranchOutcome[];
  /** spec.output.oci: what happened to each cluster's artifact (empty without it, and on a dry run). */
  oci: OciOutcome[];
  /** Branches under the fleet's branch prefix that no cluster of the fleet renders to any more. */
  orphaned: string[];
  attempts: number;
  warnings: Warning[];
  /** Frozen environments published anyway with --break-glass. */
  brokeFreeze: FrozenEnvironment[];
  /** What the checks found on the clusters rendered (absent with --no-check or spec.checks.enabled: false). */
  checks?: CheckSummary;
  exitCode: number;
}

/** `kiln publish`: render (or take --from) and commit each cluster's tree to its branch on the remote. */
export async function publish(g: GlobalOptions, opts: PublishOptions): Promise<PublishResult> {
  const sel = await widenToWholeBranches(g, opts);
  // the fleet repo itself: git questions (origin, ancestry, a relative --remote) are asked here
  const repoRoot = path.resolve(g.cwd);
  const fromDir = opts.from ? path.resolve(g.cwd, opts.from) : undefined;
  const real = await sourceInfo(repoRoot);
  if (real.commit === 'unknown') throw new KilnError('the fleet repo is not a git repository with a commit', { hint: 'publish records the source commit; run it inside the fleet repo' });
  if (real.dirty && !opts.allowDirty && !fromDir) {
    // named, so the user sees what to commit; a dry run renders the commit as the publish would, and says so
    const changes = await workTreeChanges(repoRoot);
    const what = `the fleet repo has ${changes.length} uncommitted change(s): ${shownChanges(changes)}`;
    const fix = 'commit them, or stash them with git stash -u, or pass --allow-dirty to publish the work tree as it is, recorded as sourceDirty';
    if (!opts.dryRun) throw new KilnError(`${what}; a publish must be reproducible from its source commit ${real.commit.slice(0, 12)}`, { hint: fix });
    g.logger.warn(`${what}; a publish would refuse them: this dry run renders commit ${real.commit.slice(0, 12)} without them (${fix})`);
  }
  // What is published is rendered from what its source commit holds (`git archive`), so a clone of
  // that commit reproduces it: ignored files in the work tree (vendored charts/*) play no part.
  // --allow-dirty publishes the work tree as it is, recorded as sourceDirty.
  const snap = !fromDir && !opts.allowDirty ? await snapshotAt(g, real.commit, real) : undefined;
  // whether the source commit is on the remote: git's answer, asked while the config loads (read after it)
  const history = sourceHistory(repoRoot);
  const early = !fromDir && !opts.allowUnpushed ? { commit: real.commit, state: pushedState(history, real.commit) } : undefined;
  try {
    return await publishPrepared(g, opts, sel, repoRoot, fromDir, snap, history, early);
  } finally {
    // settled before returning, also on an error: its scratch repo (a fetch of the commit) is gone then
    await early?.state.catch(() => undefined);
    await snap?.cleanup();
  }
}

type EarlyPushed = { commit: string; state: ReturnType<typeof pushedState> };

async function publishPrepared(g: GlobalOptions, opts: PublishOptions, sel: Selection, repoRoot: string, fromDir: string | undefined, snap: Snapshot | undefined, history: SourceHistory, early: EarlyPushed | undefined): Promise<PublishResult> {
  // the remote's heads are listed while the clusters are planned (once the config says branches are published)
  let listing: Promise<{ url: string; heads: Map<string, string> }> | undefined;
  const listRemote = (config: FleetConfig) => {
    if (config.output.branches === false) return;
    listing = resolveRemote(repoRoot, opts.remote).then(async (url) => ({ url, heads: await lsRemoteHeads(url) }));
    listing.catch(() => undefined); // awaited before the publish, and settled on the way out in any case
  };
  let prep: Prepared;
  try {
    prep = await prepareRender(snap?.g ?? g, sel, snap?.source, { onConfig: listRemote, snapshot: snap });
  } catch (e) {
    await listing?.catch(() => undefined);
    throw e;
  }
  let remembered: Promise<Remembered> | undefined;
  try {
    const { config, env } = prep;
    // before rendering: a frozen environment is refused (exit 3) unless the glass is broken, recorded as a trailer
    const freeze = freezeGate(config, [...new Set(prep.plans.map((p) => p.cluster.environment))], opts.now ?? clockNow(), opts.breakGlass, 'publish');
    for (const f of freeze.frozen) g.logger.warn(`${f.environment} is frozen (${f.reasons.join('; ')}); publishing anyway: --break-glass "${opts.breakGlass}"`);
    // the clusters' remembered renders, read while git answers the questions below (origin, the
    // remote's heads); compared with those heads once they are known
    // the render workers start (a fork and ~0.1 s of Go start-up each) once a render is sure to come:
    // at the first cluster without a remembered render, or now when there are none
    const warm = () => warmRenderers({ tools: env.tools, cacheDir: env.cacheDir, session: env });
    remembered = !fromDir && env.clusterMemo && hasRememberedRenders(env.cacheDir) ? rememberedRenders(prep.plans, env, warm) : undefined;
    if (!fromDir && !remembered && prep.plans.length) warm();
    remembered?.catch(() => undefined); // awaited (and its error thrown) by upToDate; a failure before that is the run's error
    if (!fromDir) {
      // the work tree's fleet root (the config file's dir), not the snapshot's
      const missing = await inputsNotInCommit(fleetRoot(g), prep.plans);
      if (missing.length) g.logger.warn(notInCommitMessage(missing, env.source.commit, snap ? 'rendered from the commit without them' : 'published from the work tree (--allow-dirty) all the same'));
    }
    const byBranch = groupByBranch(prep.plans);
    let source = env.source;
    if (fromDir) source = await sourceInfo(repoRoot, { ...(await sourceOfRenderDir(fromDir, prep.plans)), dirty: false });

    await refuseUnpushed(g, history, source.commit, opts, env.tmpDir, early?.commit === source.commit ? early.state : undefined);

    const skippedWarnings: Warning[] = [];
    // checks run on every cluster rendered (or read --from); clusters whose branch already holds their render are not re-checked
    const checker = await checkerFor(prep, { noCheck: opts.noCheck });
    let checked: ClusterCheck[] = [];
    let checks: CheckSummary | undefined;
    const renderAll = async (onBranch: (b: RenderedBranch) => Promise<void>, skip: ReadonlySet<string>) => {
      const plans = prep.plans.filter((p) => !skip.has(p.branch));
      const emit = branchCollector(plans, onBranch);
      checked = [];
      const checkThen = async (plan: ClusterPlan, files: Map<string, string>, writtenFrom?: ReadonlyMap<string, K8sObject>) => {
        if (checker) checked.push(await checker.check(plan.cluster, plan.outputPath, files, writtenFrom));
        await emit(plan, files);
      };
      if (fromDir) {
        for (const plan of plans) await checkThen(plan, await readClusterDir(fromDir, plan.cluster.name));
      } else {
        if (skip.size) g.logger.info(`${skip.size} branch(es) already hold what their clusters render (remembered renders); rendering ${plans.length} cluster(s)`);
        const summary = await renderFleet(plans, env, { concurrency: g.concurrency, logger: g.logger, onCluster: (r) => checkThen(r.plan, r.files, r.writtenFrom) });
        for (const w of uniqueWarnings([...skippedWarnings, ...summary.warnings])) g.logger.warn(warningLine(w));
      }
      if (!checker) return;
      // before anything is pushed: a failing check stops the whole publish
      checks = summarize(checked);
      logFindings(g.logger, checks);
      logCheckStats(g.logger, checker.stats);
      if (checks.errors && !opts.allowFailingChecks) throw failingChecks(checks, 'nothing was published');
      if (checks.errors) g.logger.warn(`publishing despite ${checks.errors} failing check(s): --allow-failing-checks`);
    };
    // --from publishes files as they are: only a render can be skipped by its remembered result
    const upToDate = fromDir || !env.clusterMemo ? undefined : async (known: Map<string, string>) => {
      const r = await unchangedBranches(prep.plans, env, known, remembered);
      skippedWarnings.push(...r.warnings);
      return r.branches;
    };

    const signers = await signersFromEnv(g.logger);
    if (config.output.branches === false) {
      // the registry is the only output: no rendered-branches remote is read or written
      const oci = await publishArtifactsOnly({
        source,
        created: (await commitTime(repoRoot, source.commit)) ?? EPOCH,
        targets: ociTargets(config, prep.plans.map((p) => p.cluster)),
        movingTag: config.output.oci!.tag,
        order: createOrderer(history, source.commit),
        dryRun: opts.dryRun,
        force: opts.force,
        logger: g.logger,
        signer: signers.oci,
        signal: g.signal,
        render: async (on, known) => {
          const skip = upToDate ? await upToDate(known) : new Set<string>();
          await renderAll(on, skip);
          return skip;
        },
      });
      for (const o of oci) {
        if (o.action === 'skipped-older') g.logger.warn(`${o.repository}: left alone, ${o.reason}`);
        if (o.action === 'conflict') g.logger.error(`${o.repository}: not published, ${o.reason}`);
      }
      const stopped: unknown = g.signal?.reason;
      if (stopped instanceof InterruptedError) throw new InterruptedError(stopped.signal, opts.dryRun ? 'nothing was published (dry run)' : 'artifacts already pushed stay; run publish again to finish');
      return {
        remote: config.output.oci!.repository, artifactsOnly: true, dryRun: opts.dryRun, sourceCommit: source.commit, branches: [], oci, orphaned: [], attempts: 1, warnings: prep.warnings, brokeFreeze: freeze.frozen,
        ...(checks ? { checks } : {}), exitCode: oci.some((o) => o.action === 'conflict') ? ExitCode.conflict : ExitCode.ok,
      };
    }
    const listed = await listing;
    const url = listed?.url ?? (await resolveRemote(repoRoot, opts.remote));
    const oci: OciOutcome[] = [];
    const hyd = config.output.hydrator ? await hydratorLayout(repoRoot, source) : undefined;
    // the source commit's time is asked of the fleet repo: config.root is the unpacked commit, no repo
    const after = ociAfterPush(config, prep.plans.map((p) => p.cluster), { url, root: repoRoot, cacheDir: env.clusterMemo ? env.cacheDir : undefined, signer: signers.oci, logger: g.logger, into: oci });
    const { outcomes, attempts, remoteHeads } = await publishBranches({
      root: repoRoot,
      history,
      url,
      source,
      tmpDir: env.tmpDir,
      dryRun: opts.dryRun,
      compare: opts.dryRun ? (await import('../diff/branch-diff.js')).fleetCompareOptions(config.profiles) : undefined,
      force: opts.force,
      maxAttempts: opts.maxAttempts ?? 5,
      atomic: true,
      logger: g.logger,
      trailers: { ...opts.trailers, ...freeze.trailers },
      render: hyd ? (on, skip) => renderAll((b) => on(hyd.proposed(b)), hyd.active(skip)) : renderAll,
      rendering: warm,
      upToDate: hyd && upToDate ? async (known) => hyd.proposedSet(await upToDate(hyd.activeKeys(known))) : upToDate,
      commitFacts: env.commitFacts,
      ...(listed ? { remoteHeads: listed.heads } : {}),
      branches: [...byBranch.entries()].map(([branch, plans]) => ({ branch: hyd ? nextBranch(branch) : branch, cluster: plans.map((p) => p.cluster.name).join(','), environment: plans[0]!.cluster.environment })),
      signal: g.signal,
      gitSigner: signers.git,
      progress: g.progress,
      afterPush: hyd && after ? (work, heads) => after(work, hyd.activeKeys(heads)) : after,
      // git is pushing, and nothing renders any more: what the run learnt is written, the render workers
      // exit and the unpacked commit is removed meanwhile, not after the push
      whilePushing: () => {
        env.keepLearnt();
        env.retireWorkers();
        snap?.cleanup().catch(() => undefined); // awaited (and its error ignored) on the way out
      },
      ...(hyd ? { startFrom: activeBranch, hydratorNotes: true } : {}),
    });
    const stop: unknown = g.signal?.reason;
    if (stop instanceof InterruptedError) {
      const moved = outcomes.filter((o) => o.action === 'created' || o.action === 'updated').length;
      throw new InterruptedError(stop.signal, opts.dryRun ? 'nothing was published (dry run)' : `after the push: ${moved} branch(es) published, the others unchanged`);
    }

    const prefix = branchPrefix(config.output.branch);
    const all = new Set(config.clusters.flatMap((c) => (hyd ? [branchFor(config, c), nextBranch(branchFor(config, c))] : [branchFor(config, c)])));
    const orphaned = prefix ? [...remoteHeads.keys()].filter((b) => b.startsWith(prefix) && !all.has(b)).sort() : [];
    for (const b of orphaned) g.logger.warn(`branch ${b} is rendered by no cluster of this fleet any more; left in place (delete it once its cluster is gone)`);
    for (const o of outcomes) {
      if (o.action === 'skipped-older') g.logger.warn(`${o.branch}: left alone, ${o.reason}`);
      if (o.action === 'conflict') g.logger.error(`${o.branch}: not published, ${o.reason}`);
    }
    const conflict = outcomes.some((o) => o.action === 'conflict');
    return { remote: url, dryRun: opts.dryRun, sourceCommit: source.commit, branches: outcomes, oci, orphaned, attempts, warnings: prep.warnings, brokeFreeze: freeze.frozen, ...(checks ? { checks } : {}), exitCode: conflict ? ExitCode.conflict : ExitCode.ok };
  } finally {
    // read-only, yet settled before the session it reads through closes (an error stopped the run early)
    await remembered?.catch(() => undefined);
    await listing?.catch(() => undefined);
    await prep.cleanup();
  }
}

/**
 * A render of a commit nobody else can fetch cannot be ordered by any other job (every later
 * publish would stop at it as unordered): refuse it unless asked, warn in a dry run.
 */
async function refuseUnpushed(g: GlobalOptions, history: SourceHistory, commit: string, opts: PublishOptions, tmpDir: string, asked?: EarlyPushed['state']): Promise<void> {
  if (opts.allowUnpushed) return;
  const st = await (asked ?? pushedState(history, commit, tmpDir));
  if (st.pushed) return;
  const where = st.remote ? `no branch or tag of ${st.remote}` : 'no remote';
  const why = st.error && st.remote ? ` (asking ${st.remote} failed: ${st.error})` : '';
  const message = `source commit ${commit.slice(0, 12)} is on ${where}${why}: other jobs could not order their publishes against it`;
  const hint = `push it first (git push ${st.remote ?? '<remote>'} HEAD), or pass --allow-unpushed to publish it anyway`;
  if (opts.dryRun) {
    g.logger.warn(`${message}; a real publish would refuse it: ${hint}`);
    return;
  }
  throw new KilnError(message, { hint });
}

function uniqueWarnings(ws: Warning[]): Warning[] {
  return [...new Map(ws.map((w) => [w.message, w])).values()];
}

/** Clusters sharing a branch are published together, or the branch would lose the others' files. */
async function widenToWholeBranches(g: GlobalOptions, sel: Selection): Promise<Selection> {
  // a shard alone is already whole branches (shards are assigned by branch)
  if (!sel.clusters && !sel.envs && !sel.profiles) return sel;
  const { config } = await loadConfig({ cwd: g.cwd, config: g.config });
  const chosen = new Set(selectClusters(config, sel).map((c) => c.name));
  const branches = new Map<string, string[]>();
  for (const c of config.clusters) {
    const b = branchFor(config, c);
    branches.set(b, [...(branches.get(b) ?? []), c.name]);
  }
  const widened = new Set(chosen);
  for (const names of branches.values()) if (names.some((n) => chosen.has(n))) names.forEach((n) => widened.add(n));
  if (widened.size === chosen.size) return sel;
  return { clusters: [...widened].sort() };
}


async function readClusterDir(dir: string, cluster: string): Promise<Map<string, string>> {
  const base = path.join(dir, cluster);
  const files = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.set(path.relative(base, p).split(path.sep).join('/'), await readFile(p, 'utf8'));
      else throw new KilnError(`${p}: only regular files can be published`, { hint: 'publish the output of kiln render as it is' });
    }
  };
  try {
    await walk(base);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new KilnError(`--from ${dir} has no rendered files for cluster "${cluster}"`, { hint: `run kiln render --out ${dir} with the same selection first` });
    throw e;
  }
  if (!files.has(METADATA_PATH)) throw new KilnError(`--from ${dir}/${cluster} has no ${METADATA_PATH}: not a kiln render`);
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function sourceOfRenderDir(dir: string, plans: ClusterPlan[]): Promise<{ commit: string; repo: string; ref: string }> {
  const seen = new Map<string, string>();
  let info: { commit: string; repo: string; ref: string } | undefined;
  for (const p of plans) {
    const meta = parse(await readFile(path.join(dir, p.cluster.name, METADATA_PATH), 'utf8').catch(() => '{}')) as Record<string, string>;
    if (!meta.sourceCommit) throw new KilnError(`--from ${dir}/${p.cluster.name}: missing or invalid ${METADATA_PATH}`);
    seen.set(meta.sourceCommit, p.cluster.name);
    info = { commit: meta.sourceCommit, repo: meta.sourceRepo ?? '', ref: meta.sourceRef ?? '' };
  }
  if (seen.size > 1) throw new KilnError(`--from ${dir} mixes renders of ${seen.size} source commits`, { hint: 'render all clusters from one commit' });
  if (!info) throw new KilnError(`--from ${dir}: no cluster selected`);
  return info;
}

/** `created` of an artifact whose source commit the repo does not know: fixed, never the clock. */
const EPOCH = '1970-01-01T00:00:00Z';

export function formatPublish(r: PublishResult): string {
  if (r.artifactsOnly) return formatArtifactsOnly(r);
  // whole profiles leaving clusters first: the change most likely to be a mistake (a selector typo)
  const removed = r.branches.flatMap((b) => (b.removedProfiles ?? []).map((x) => `${r.dryRun ? 'would remove' : 'removed'}: profile ${x.profile} from cluster ${x.cluster} (${x.objects} object${x.objects === 1 ? '' : 's'} deleted, branch ${b.branch}${b.action === 'updated' || b.action === 'created' ? '' : `, ${b.action}`})`));
  const counts = (b: BranchOutcome) => (b.changes ? ` +${b.changes.added} ~${b.changes.changed} -${b.changes.removed}` : '');
  const lines = [...removed, ...r.branches.map((b) => `${actionText(b.action, r.dryRun).padEnd(13)} ${b.branch}${b.commit && b.action !== 'unchanged' ? ` ${b.commit.slice(0, 12)}` : ''}${counts(b)}${b.reason ? ` (${b.reason})` : ''}`)];
  const count = (a: BranchOutcome['action']) => r.branches.filter((b) => b.action === a).length;
  const verb = r.dryRun ? 'would publish' : 'published';
  const w = r.dryRun ? 'would be ' : '';
  lines.push(`${verb} source ${r.sourceCommit.slice(0, 12)} to ${r.remote}: ${count('created')} ${w}created, ${count('updated')} ${w}updated, ${count('unchanged')} unchanged, ${count('skipped-older')} skipped (older), ${count('conflict')} conflicts`);
  for (const o of r.oci) if (o.action !== 'unchanged') lines.push(`oci ${o.action.padEnd(9)} ${o.repository}@${o.digest} (${o.tags.join(', ')})${o.signed ? ' signed' : ''}`);
  if (r.oci.length) lines.push(`oci: ${r.oci.filter((o) => o.action === 'pushed').length} pushed, ${r.oci.filter((o) => o.action === 'tagged').length} tagged, ${r.oci.filter((o) => o.action === 'unchanged').length} unchanged`);
  for (const o of r.orphaned) lines.push(`orphaned: ${o} (no cluster renders to it any more)`);
  return lines.join('\n');
}



function formatArtifactsOnly(r: PublishResult): string {
  const would = r.dryRun ? 'would be ' : '';
  const lines = r.oci.filter((o) => o.action !== 'unchanged').map((o) => `${r.dryRun ? 'would ' : ''}${o.action.padEnd(13)} ${o.cluster} ${o.repository}@${o.digest}${o.tags.length ? ` (${o.tags.join(', ')})` : ''}${o.signed ? ' signed' : ''}${o.reason ? ` (${o.reason})` : ''}`);
  const n = (a: OciOutcome['action']) => r.oci.filter((o) => o.action === a).length;
  lines.push(`${r.dryRun ? 'would publish' : 'published'} source ${r.sourceCommit.slice(0, 12)} as OCI artifacts only: ${n('pushed')} ${would}pushed, ${n('tagged')} ${would}tagged, ${n('unchanged')} unchanged, ${n('skipped-older')} skipped (older), ${n('conflict')} conflicts`);
  return lines.join('\n');
}
