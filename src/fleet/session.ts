/**
 * The state of one render run, in one object passed down fleet → render → exec: the tool limiter,
 * the process scope (its spawner, its AbortSignal), the scratch dir, the in-run memo and the caches.
 *
 * Its life: `openSession` → renders → `close()`. An abort (the first failure, an interrupt) kills
 * every running tool and starts no new one; `close()` waits for every program to exit and only then
 * removes the scratch dir (it holds per-cluster inline values), so a clean-up never races a render
 * and never replaces the error that ended the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pLimit from 'p-limit';
import { RenderWorkerSet, WORKER_BINARIES, workerBinary, workersOff } from '../exec/render-worker.js';
import { ExecScope } from '../exec/scope.js';
import { Progress } from '../log/progress.js';
import type { SourceInfo } from '../git/source.js';
import type { Applier } from '../model.js';
import type { RenderOutput, RenderScope, ToolSet } from '../render/renderer.js';
import { pruneCache } from '../util/cache-prune.js';
import { RunMemo } from '../util/run-memo.js';
import { createPatchJudge, type PatchJudge } from '../patch/judge.js';
import type { ClusterPlan } from './plan.js';
import { diskClusterMemo, type ClusterMemo } from './cluster-memo.js';
import { diskClusterKeys, runKeyOf, type ClusterKeys, type PinnedCommit } from './cluster-keys.js';
import { diskCommitFacts, type CommitFactsStore } from '../git/commit-facts.js';
import type { FleetCrds, KindScopeDecl } from './kind-scopes.js';
import { diskRenderCache, type RenderCache } from './render-cache.js';

export interface RenderSession extends RenderScope {
  root: string;
  tools: ToolSet;
  source: SourceInfo;
  kilnVersion: string;
  cacheDir: string;
  /** This run's scratch dir, removed by close() once no program runs. */
  tmpDir: string;
  timeoutMs: number;
  /** What this run computes once (file hashes, patch results, chart pulls). */
  memo: RunMemo;
  /** Component renders of this run by `<engine>:<input hash>`: identical inputs across clusters render once. */
  renders: Map<string, Promise<RenderOutput>>;
  /** Renders of earlier runs, by the same key (render-cache.ts); absent: always render. */
  renderCache?: RenderCache;
  /** Where post-patch results persist across runs (keyed by their whole content); absent: per run only. */
  patchCacheDir?: string;
  /** Whole-cluster results of earlier runs by cluster key (cluster-memo.ts); absent: not remembered. */
  clusterMemo?: ClusterMemo;
  /** The cluster keys of earlier runs of this same commit (cluster-keys.ts); present only with clusterMemo and a commit snapshot. */
  clusterKeys?: ClusterKeys;
  /** What each published commit deploys, remembered across runs (git/commit-facts.ts); present with clusterMemo. */
  commitFacts?: CommitFactsStore;
  /** Bounds the tool processes running at once (sized to the cores), however many clusters are in flight. */
  toolLimit: <T>(fn: () => Promise<T>) => Promise<T>;
  /** Aborted by the first failure or an interrupt: work not yet started checks it and does not start. */
  readonly signal: AbortSignal;
  /** `spec.output.appliedBy` (default flux): what Helm hooks and generateName objects become (manifests/hooks.ts). */
  appliedBy?: Applier;
  /** kiln.yaml `spec.kindScopes`: custom kinds whose CRD the fleet does not render (kind-scopes.ts). */
  kindScopes?: KindScopeDecl[];
  /** The CRDs the whole fleet renders, scanned once on first ask (kind-scopes.ts); absent: not available. */
  fleetCrds?: () => Promise<FleetCrds>;
  /** The run's progress display: every tool process of the session is reported to it (start, end, duration), and cache hits. */
  progress: Progress;
  /**
   * Rendering a commit that was valid when published (the base side of `diff --base`): the render rules
   * newer than it (dangling patch targets, Helm hooks and generateName on Flux) warn instead of failing.
   */
  lenient?: boolean;
  /** This run's outcomes of profile patch targets, judged over the fleet at the end of a render (patch/judge.ts). */
  patchJudge: PatchJudge;
  /** Plans of the fleet's clusters outside this run's selection that get one of `profiles` (for the judge). */
  otherPlans?: (profiles: Set<string>) => ClusterPlan[];
  /** Kill running tools, start no new ones; the first reason is the one reported. */
  abort(reason: unknown): void;
  /**
   * Write what the render learnt (remembered renders, cluster keys) now, e.g. while a push runs:
   * close() writes only what came after. Never throws.
   */
  keepLearnt(): void;
  /** No render comes after this: the render workers exit now (while a push runs), not at close(). Never throws. */
  retireWorkers(): void;
  /** Wait for every program to exit, then remove the scratch dir (and prune the cache). Never throws. */
  close(): Promise<void>;
}

export interface SessionOptions {
  root: string;
  tools: ToolSet;
  source: SourceInfo;
  kilnVersion: string;
  cacheDir: string;
  timeoutMs: number;
  concurrency: number;
  /** Keep renders, patches and cluster results across runs (KILN_RENDER_CACHE). */
  persist: boolean;
  maxAgeDays: number;
  /** The command's interrupt signal: aborting it aborts the session. */
  signal?: AbortSignal;
  appliedBy?: Applier;
  kindScopes?: KindScopeDecl[];
  /** The command's progress display (GlobalOptions.progress); absent: a silent one (counts only). */
  progress?: Progress;
  lenient?: boolean;
  otherPlans?: (profiles: Set<string>) => ClusterPlan[];
  /** The root is a snapshot of this commit (`git archive`), not a work tree: its cluster keys can be remembered. */
  pinned?: PinnedCommit;
  /** Where the session says how it renders (debug level). */
  debug?: (msg: string) => void;
}

export async function openSession(o: SessionOptions): Promise<RenderSession> {
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'kiln-'));
  const progress = o.progress ?? new Progress({ write: () => undefined, live: false, enabled: false });
  progress.knowTools(o.tools);
  const exec = new ExecScope(o.signal, { started: (command, args, label) => progress.toolStarted(command, args, label) });
  const limit = pLimit(Math.max(1, o.concurrency));
  // per worker binary and environment one worker per tool slot, started on first use; killed by the scope's abort like its programs
  const workers = workersOff() ? undefined : new RenderWorkerSet({ size: Math.max(1, o.concurrency), signal: exec.signal });
  if (o.debug) {
    const found = workers ? WORKER_BINARIES.flatMap((name) => workerBinary(process.env, name) ?? []) : [];
    o.debug(found.length ? `render workers: ${found.join(', ')}` : 'render workers: off (KILN_RENDER_WORKER=off or none built); every render runs the CLI');
  }
  let closing: Promise<void> | undefined;
  // a lenient render's result must never stand in for a strict one
  const remember = o.persist && !o.lenient ? { clusters: diskClusterMemo(o.cacheDir, o.maxAgeDays), commits: diskCommitFacts(o.cacheDir, o.maxAgeDays) } : undefined;
  const keys = remember && o.pinned ? diskClusterKeys(o.cacheDir, runKeyOf(o.pinned, o)) : undefined;
  return {
    root: o.root,
    tools: o.tools,
    source: o.source,
    kilnVersion: o.kilnVersion,
    cacheDir: o.cacheDir,
    tmpDir,
    timeoutMs: o.timeoutMs,
    memo: new RunMemo(),
    renders: new Map(),
    renderCache: o.persist ? diskRenderCache(o.cacheDir, o.kilnVersion) : undefined,
    patchCacheDir: o.persist ? o.cacheDir : undefined,
    ...(remember ? { clusterMemo: remember.clusters, commitFacts: remember.commits } : {}),
    ...(keys ? { clusterKeys: keys } : {}),
    // a queued tool run of an aborted session never starts
    toolLimit: (fn) => limit(() => (exec.check('render'), fn())),
    ...(o.appliedBy ? { appliedBy: o.appliedBy } : {}),
    ...(o.kindScopes?.length ? { kindScopes: o.kindScopes } : {}),
    progress,
    ...(o.lenient ? { lenient: true } : {}),
    patchJudge: createPatchJudge(),
    ...(o.otherPlans ? { otherPlans: o.otherPlans } : {}),
    exec,
    ...(workers ? { workers } : {}),
    get signal() {
      return exec.signal;
    },
    abort: (reason) => exec.abort(reason),
    keepLearnt() {
      remember?.clusters.flush();
      keys?.flush();
    },
    retireWorkers() {
      workers?.close().catch(() => undefined); // close() waits for the same exits
    },
    close() {
      closing ??= (async () => {
        await Promise.all([exec.close(), workers?.close()]);
        // what was learnt holds whatever became of the run (a failed cluster's render remembers nothing)
        remember?.clusters.flush();
        remember?.commits.flush();
        keys?.flush();
        await rm(tmpDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
        if (o.persist && !exec.signal.aborted) await pruneCache(o.cacheDir, o.maxAgeDays).catch(() => undefined);
      })();
      return closing;
    },
  };
}
