/**
 * Long-lived render workers: a render engine's upstream library linked into a process that stays up,
 * so 1,000 renders pay Go's start-up (and the library's init) once per core instead of once each.
 * One binary per engine, each linking exactly the dependency versions of the pinned CLI it stands in
 * for: `kiln-render-worker` (go-jsonnet), `kiln-render-worker-kustomize` (kustomize's own `build`
 * command), `kiln-render-worker-helm` (Helm's own `template` command). A worker answers with the
 * bytes, exit code and error text the CLI would give; kiln uses it only when the CLI it located is
 * that very version (render/common.ts runToolOrWorker), and runs the CLI whenever a worker cannot
 * serve (missing binary, `unsupported`, a crash, `KILN_RENDER_WORKER=off`).
 *
 * Protocol (NDJSON over stdio): on start `{"hello":"kiln-render-worker","<engine>":"<linked version>"}`;
 * per request line `{"id":N,"engine":…,"cwd":…,…}` one answer line `{"id":N,"exitCode","stdout","stderr"}`
 * or `{"id":N,"unsupported":"why"}`. kustomize and helm take the CLI's argv (`"args":[…]`). A kustomize
 * or helm request with `"values":true` may also get `"values"`: the output's documents as JSON, read by
 * go-yaml v2 (the reader src/manifests/k8s-yaml.ts follows) in key order; absent whenever JSON could not
 * carry them exactly (tools/worker-values/values.go), and kiln parses the text instead.
 *
 * A render session owns one RenderWorkerSet (fleet/session.ts): a pool per (binary, environment) — helm
 * reads HELM_* at start, so another environment gets its own workers — each of at most `size` workers
 * (one per tool slot), started on demand, one request each at a time; an abort kills them (their process
 * groups) and `close()` ends them and waits for their exit.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { toolsDir } from '../util/tools-dir.js';
import { buildEnv } from './exec.js';
import { RenderWorkers } from './render-worker-pool.js';

export { RenderWorkers, type ArgvRequest, type JsonnetRequest, type ValuesRequest, type WorkerAnswer, type WorkerVar } from './render-worker-pool.js';

/** The jsonnet worker; `KILN_RENDER_WORKER=<path>` names another binary for it. */
export const WORKER_BINARY = 'kiln-render-worker';
export const KUSTOMIZE_WORKER = 'kiln-render-worker-kustomize';
export const HELM_WORKER = 'kiln-render-worker-helm';
/** Every worker binary, as scripts/build-render-worker.sh builds them from tools/<binary minus kiln->. */
export const WORKER_BINARIES = [WORKER_BINARY, KUSTOMIZE_WORKER, HELM_WORKER] as const;

/** `KILN_RENDER_WORKER=off` (or 0/false/no): every render runs the CLI. */
export function workersOff(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(off|0|false|no)$/i.test(env.KILN_RENDER_WORKER ?? '');
}

/**
 * The file of worker `name`, or undefined (workers off, or not built): `<tools dir>/bin/<name>`; for
 * the jsonnet worker a path in KILN_RENDER_WORKER wins.
 */
export function workerBinary(env: NodeJS.ProcessEnv = process.env, name: string = WORKER_BINARY): string | undefined {
  if (workersOff(env)) return undefined;
  const v = env.KILN_RENDER_WORKER ?? '';
  const file = name === WORKER_BINARY && v.includes('/') ? path.resolve(v) : path.join(toolsDir(env), 'bin', name);
  return existsSync(file) ? file : undefined;
}

/**
 * A session's workers: one pool per (binary, environment), made on first ask. Binaries are found by
 * name (workerBinary) unless `locate` says otherwise (tests: a fake worker).
 */
export class RenderWorkerSet {
  private readonly pools = new Map<string, RenderWorkers | undefined>();
  private readonly locate: (name: string) => string | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly o: { size: number; signal: AbortSignal; locate?: (name: string) => string | undefined }) {
    this.locate = o.locate ?? ((name) => workerBinary(process.env, name));
  }

  /** The pool of worker `binary` (a name, WORKER_BINARIES) started with `env` (default buildEnv({})); undefined: not built or off. */
  pool(binary: string, env: Record<string, string> = buildEnv({})): RenderWorkers | undefined {
    const key = `${binary}\0${JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;
    if (this.closed) return undefined;
    if (!this.pools.has(key)) {
      const file = this.locate(binary);
      this.pools.set(key, file ? new RenderWorkers(file, Math.max(1, this.o.size), this.o.signal, env) : undefined);
    }
    return this.pools.get(key);
  }

  /** The running workers' process ids (tests: an abort leaves none). */
  pids(): number[] {
    return [...this.pools.values()].flatMap((p) => p?.pids() ?? []);
  }

  /** End every worker of every pool and wait for them to exit (asked again: the same wait). */
  close(): Promise<void> {
    this.closed = true;
    return (this.closing ??= Promise.all([...this.pools.values()].map((p) => p?.close())).then(() => undefined));
  }
}
