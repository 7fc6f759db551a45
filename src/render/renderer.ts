/** One interface for every engine: a resolved component spec in, Kubernetes objects out. */
import type { RenderWorkerSet } from '../exec/render-worker.js';
import type { ExecScope } from '../exec/scope.js';
import type { Cluster, Engine, K8sObject, ToolName } from '../model.js';
import type { RunMemo } from '../util/run-memo.js';

export interface Tool {
  name: ToolName;
  /** Absolute path of the binary. */
  path: string;
  /** Version as the tool reports it, normalised to `vX.Y.Z`. */
  version: string;
  /** Named by the user (`KILN_<TOOL>`): always run as that program, never stood in for by a render worker. */
  explicit?: boolean;
}
export type ToolSet = Partial<Record<ToolName, Tool>>;

export interface RenderContext {
  /** Absolute fleet root; every relative path in a spec resolves against it and must stay inside it. */
  root: string;
  cluster: Cluster;
  profile: string;
  component: string;
  tools: ToolSet;
  /** Persistent cache (downloaded charts), shared across runs. */
  cacheDir: string;
  /** Scratch directory for this run; renderers make their own unique subdirectories in it. */
  tmpDir: string;
  timeoutMs: number;
  /**
   * The run this render belongs to (fleet/session.ts). Engines start tools with `runTool(ctx, …)`
   * (common.ts), which goes through `session.exec`: a cancelled run kills them. Absent (library use,
   * tests): tools run directly and nothing is memoised across calls.
   */
  session?: RenderScope;
}

/** The part of a render session the render layer sees: its processes and its in-run memo. */
export interface RenderScope {
  exec: ExecScope;
  memo: RunMemo;
  /** Long-lived render workers (exec/render-worker.ts); absent: every render runs the CLI. */
  workers?: RenderWorkerSet;
}

export interface RenderOutput {
  objects: K8sObject[];
  /** The argv that produced the output, with paths relative to the fleet root (for provenance). */
  command: string[];
  /** What the engine noticed about this output (a chart that renders differently every time). */
  warnings?: string[];
}

/** What starting an engine's render workers ahead of its first render needs. */
export type WarmContext = Pick<RenderContext, 'tools' | 'cacheDir'> & { session: RenderScope };

export interface Renderer<S> {
  engine: Engine;
  /** The external tool this engine needs, or null (plain manifests). */
  tool: ToolName | null;
  render(spec: S, ctx: RenderContext): Promise<RenderOutput>;
  /**
   * A render is coming: start the worker this engine would render with (when one stands in for its
   * tool), so that its start-up overlaps what the run does before. Never throws or waits.
   */
  warm?(ctx: WarmContext): void;
}
