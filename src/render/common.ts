/** Small helpers the engines share: tools from the context, scratch dirs, directory walks, stable JSON. */
import { mkdir, mkdtemp, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { KilnError } from '../errors.js';
import { buildEnv, ExecError, run, type ExecOptions, type ExecResult } from '../exec/exec.js';
import type { RenderWorkers, WorkerAnswer } from '../exec/render-worker.js';
import type { ToolName } from '../model.js';
import { isInside, relToRoot, resolveInRoot } from '../util/paths.js';
import type { RenderContext, RenderScope, Tool } from './renderer.js';

export function toolFrom(ctx: RenderContext, name: ToolName): Tool {
  const t = ctx.tools[name];
  if (!t) throw new KilnError(`${name} is needed but was not located`, { hint: `set KILN_${name.toUpperCase()}=/path/to/${name}` });
  return t;
}

/**
 * Run a render tool: through the session's process scope when there is one (cancelled with the run),
 * with the render timeout unless the call sets its own.
 */
/** What a tool run is shown as in progress lines and debug logs: the cluster, profile and component it renders. */
export const toolLabel = (ctx: RenderContext): string => `${ctx.cluster.name}/${ctx.profile}/${ctx.component}`;

export function runTool(ctx: RenderContext, file: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const o = { timeoutMs: ctx.timeoutMs, label: toolLabel(ctx), ...opts };
  return ctx.session ? ctx.session.exec.run(file, args, o) : run(file, args, o);
}

export interface ToolOrWorkerRun {
  /** The worker binary's name (exec/render-worker.ts KUSTOMIZE_WORKER, HELM_WORKER). */
  binary: string;
  /** The key of the worker's hello line holding the version it links (`kustomize`, `helm`). */
  engine: 'kustomize' | 'helm';
  tool: Tool;
  args: string[];
  cwd: string;
  /** As for exec's run: the worker process is started with this very environment (buildEnv). */
  env?: Record<string, string>;
  allowEnv?: string[];
  timeoutMs: number;
  /** Shown in progress and debug lines; default the context's cluster/profile/component. */
  label?: string;
  /** What else must hold for the worker to stand in, beyond the version (asked once per run with the version). */
  fits?: WorkerFits;
  /** Ask a worker for the output's values too (WorkerAnswer.values); the CLI gives none. */
  values?: boolean;
}

/** A tool's output; `values` when a worker gave its documents as values (read as parse.ts reads the text). */
export interface ToolOutput extends ExecResult {
  values?: unknown[];
}

type WorkerFits = (hello: Record<string, string>) => Promise<boolean>;

/**
 * The session's pool of worker `binary` when it may stand in for `tool`: a tool the user named
 * (KILN_HELM=…, a wrapper say) runs as itself; else the worker must link the version `tool` reports
 * (its hello's `engine` field) and `fits` must agree. Decided once per run, binary, tool and environment.
 */
export async function standInWorkers(session: RenderScope | undefined, o: { binary: string; engine: string; tool: Tool; env: Record<string, string>; fits?: WorkerFits }): Promise<RenderWorkers | undefined> {
  const pool = o.tool.explicit ? undefined : session?.workers?.pool(o.binary, o.env);
  if (!session || !pool) return undefined;
  const ok = await session.memo.once(`worker:${o.binary}`, `${o.tool.path}\0${JSON.stringify(o.env)}`, async () => {
    const hello = await pool.hello();
    return hello?.[o.engine] !== undefined && hello[o.engine] === o.tool.version && (!o.fits || (await o.fits(hello)));
  });
  return ok ? pool : undefined;
}

/**
 * standInWorkers ahead of the first render (Renderer.warm): the same decision, made now (its outcome is
 * the render's to find), with the first worker started; `all`: every worker of a pool that stands in
 * (for a worker whose start-up is worth hiding: Helm's ~0.1 s of package init, kustomize's schema).
 */
export function warmStandIn(session: RenderScope, o: { binary: string; engine: string; tool: Tool; env?: Record<string, string>; allowEnv?: string[]; fits?: WorkerFits }, all: boolean): void {
  standInWorkers(session, { ...o, env: buildEnv({ env: o.env, allowEnv: o.allowEnv }) }).then((pool) => (all ? pool?.warm() : undefined), () => undefined);
}

/**
 * Ask a worker for what `tool args…` would give; undefined when it could not serve (the caller runs
 * the CLI). Counted as a `<tool> (worker)` run (one the worker could not serve counts as failed); a
 * failure throws exactly the ExecError the CLI run would (same command, args, exit code, stderr, timeout).
 */
export async function askWorker(session: RenderScope, pool: RenderWorkers, o: { tool: Tool; args: string[]; label: string | undefined; body: Parameters<RenderWorkers['request']>[0]; timeoutMs: number }): Promise<ToolOutput | undefined> {
  const failed = (a: WorkerAnswer | undefined) => !a || Boolean(a.timedOut) || a.exitCode !== 0;
  const a = await session.exec.observe(`${path.basename(o.tool.path)} (worker)`, o.args, o.label, pool.request(o.body, o.timeoutMs), failed);
  if (a && (a.timedOut || a.exitCode !== 0)) {
    throw new ExecError({ command: o.tool.path, args: o.args, exitCode: a.timedOut ? undefined : a.exitCode, stdout: a.stdout, stderr: a.stderr, timedOut: Boolean(a.timedOut) });
  }
  return a ? { stdout: a.stdout, stderr: a.stderr, ...(a.values ? { values: a.values } : {}) } : undefined;
}

/** `tool args…` in `cwd`: through a render worker of the session when one stands in for this very binary (standInWorkers), else the CLI. */
export async function runToolOrWorker(ctx: { session?: RenderScope } & Partial<Pick<RenderContext, 'cluster' | 'profile' | 'component'>>, o: ToolOrWorkerRun): Promise<ToolOutput> {
  const label = o.label ?? (ctx.cluster ? `${ctx.cluster.name}/${ctx.profile}/${ctx.component}` : undefined);
  const session = ctx.session;
  const pool = await standInWorkers(session, { ...o, env: buildEnv({ env: o.env, allowEnv: o.allowEnv }) });
  const answer = session && pool ? await askWorker(session, pool, { tool: o.tool, args: o.args, label, body: { engine: o.engine, cwd: o.cwd, args: o.args, ...(o.values ? { values: true } : {}) }, timeoutMs: o.timeoutMs }) : undefined;
  if (answer) return answer;
  const opts: ExecOptions = { cwd: o.cwd, timeoutMs: o.timeoutMs, label, ...(o.env ? { env: o.env } : {}), ...(o.allowEnv ? { allowEnv: o.allowEnv } : {}) };
  return session ? session.exec.run(o.tool.path, o.args, opts) : run(o.tool.path, o.args, opts);
}

/** A fresh directory under the run's tmpDir, removed once `fn` has ended, whatever happened. */
export async function withScratch<T>(ctx: RenderContext, prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  await mkdir(ctx.tmpDir, { recursive: true });
  const dir = await mkdtemp(path.join(ctx.tmpDir, `${prefix}-`));
  try {
    return await fn(dir);
  } finally {
    await removeScratch(ctx, dir);
  }
}

/** Work the result need not wait for (ExecScope.behind): in a session it is left behind, without one it is awaited. */
export async function behindInSession(session: RenderScope | undefined, work: Promise<unknown>): Promise<void> {
  if (session) session.exec.behind(work);
  else await work;
}

/** Remove a scratch dir: in a session behind (a thread-pool trip per file), so the result that used it does not wait. */
export function removeScratch(ctx: { session?: RenderScope }, dir: string): Promise<void> {
  return behindInSession(ctx.session, rm(dir, { recursive: true, force: true }));
}

/** Resolve a spec path inside the root and report it missing with the path the user wrote. */
export async function existing(root: string, rel: string, what: string): Promise<{ abs: string; stats: Stats }> {
  const abs = resolveInRoot(root, rel);
  try {
    return { abs, stats: await stat(abs) };
  } catch {
    throw new KilnError(`${what} "${rel}" not found in the fleet repo`);
  }
}

export function shown(ctx: RenderContext, abs: string): string {
  return relToRoot(ctx.root, abs);
}

export async function statOrNull(abs: string): Promise<Stats | null> {
  try {
    return await stat(abs);
  } catch {
    return null;
  }
}

/**
 * Every file under `dir`, sorted by path, symlinks followed (but each directory visited once, so a
 * loop cannot hang us); `.git` is skipped. `keep` filters by file name.
 */
export async function walkFiles(dir: string, keep: (name: string) => boolean = () => true): Promise<string[]> {
  const out: string[] = [];
  const seen = new Set<string>();
  async function visit(d: string): Promise<void> {
    const real = await realpath(d);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = (await readdir(d, { withFileTypes: true })).map((e) => e.name).sort(byCodeUnit);
    for (const name of entries) {
      if (name === '.git') continue;
      const p = path.join(d, name);
      const s = await statOrNull(p);
      if (!s) continue; // dangling symlink
      if (s.isDirectory()) await visit(p);
      else if (s.isFile() && keep(name)) out.push(p);
    }
  }
  await visit(dir);
  return out;
}

/**
 * Refuse a directory a tool will read whole (a local chart) when anything in it is a symlink
 * leading outside the fleet repo: helm follows symlinks, so `.Files.Get` could read any file the
 * CI runner can (credentials, another process's environment) into the render.
 */
export async function confineTree(root: string, dir: string, what: string): Promise<void> {
  const realRoot = await realpath(root);
  const seen = new Set<string>();
  async function visit(d: string): Promise<void> {
    const real = await realpath(d);
    if (seen.has(real)) return;
    seen.add(real);
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) {
        const target = await realpath(p).catch(() => null);
        if (target === null) continue; // dangling: the tool fails on it by itself
        if (!isInside(realRoot, target)) {
          throw new KilnError(`${what} holds "${relToRoot(root, p)}", a symlink that leads outside the fleet repo`, { hint: 'every file a render reads must live inside the fleet repo' });
        }
        if ((await stat(p)).isDirectory()) await visit(p);
      } else if (e.isDirectory()) await visit(p);
    }
  }
  await visit(dir);
}

/** Plain code-unit order, independent of locale (same on every machine). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted at every level: equal values give equal text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortDeep);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort(byCodeUnit)
        .map((k) => [k, sortDeep(o[k])]),
    );
  }
  return v;
}

/**
 * Inline values for a tool that reads YAML files: written as JSON, which is YAML with every string
 * quoted, so YAML 1.1 readers cannot turn "on" into true or "0644" into a number.
 * Returns the file's path, or undefined when there are no values.
 */
export async function writeInlineValues(dir: string, name: string, values: Record<string, unknown>): Promise<string | undefined> {
  if (Object.keys(values).length === 0) return undefined;
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify(values));
  return file;
}
