/**
 * The fleet's Rego policies, run with conftest per cluster: every rendered object is an `input`, the
 * cluster (name, environment, labels, kubeVersion, vars) is `data.kiln.cluster`. `deny`/`violation`
 * rules are errors, `warn` rules warnings (conftest's own conventions). Results are remembered by the
 * content of the policies, the cluster data and the objects, so identical clusters run conftest once.
 */
import { createHash } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { KilnError } from '../errors.js';
import { ExecError, run } from '../exec/exec.js';
import type { Cluster } from '../model.js';
import { toolsDir } from '../util/tools-dir.js';

export interface PolicySet {
  /** Absolute directory handed to conftest. */
  dir: string;
  /** The directory as the fleet names it (for messages). */
  name: string;
  /** Content id of every file under it (.rego and any data conftest may load). */
  id: string;
}

export interface PolicyResult {
  /** Path of the object file relative to the cluster's output root. */
  file: string;
  severity: 'error' | 'warning';
  message: string;
}

/** The policy set under `dir`, or undefined when it holds no .rego file. */
export async function loadPolicySet(root: string, dir: string): Promise<PolicySet | undefined> {
  const abs = path.resolve(root, dir);
  let entries: Dirent[];
  try {
    entries = await readdir(abs, { recursive: true, withFileTypes: true });
  } catch {
    return undefined;
  }
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(abs, path.join(e.parentPath, e.name))).sort();
  if (!files.some((f) => f.endsWith('.rego'))) return undefined;
  const h = createHash('sha256');
  for (const f of files) h.update(f).update('\0').update(await readFile(path.join(abs, f))).update('\0');
  return { dir: abs, name: dir, id: h.digest('hex') };
}

export function clusterData(c: Cluster): Record<string, unknown> {
  return { name: c.name, environment: c.environment, labels: c.labels, kubeVersion: c.kubeVersion ?? null, vars: c.vars };
}

interface ConftestEntry {
  filename?: string;
  failures?: Array<{ msg?: string }> | null;
  warnings?: Array<{ msg?: string }> | null;
}

export interface PolicyRunOptions {
  conftest: string;
  tmpDir: string;
  timeoutMs: number;
  limit?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The run's process scope (interrupts kill conftest too); absent: a plain run. */
  exec?: { run: typeof run };
}

/** Runs the policies over one cluster's object files (relative path → YAML). */
export async function runPolicies(set: PolicySet, cluster: Cluster, objects: Map<string, string>, opts: PolicyRunOptions): Promise<PolicyResult[]> {
  if (!objects.size) return [];
  const work = await mkdtemp(path.join(opts.tmpDir, 'policy-'));
  try {
    const inputs = path.join(work, 'objects');
    for (const [rel, text] of objects) {
      const f = path.join(inputs, rel);
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, text);
    }
    const data = path.join(work, 'data', 'kiln.json');
    await mkdir(path.dirname(data), { recursive: true });
    await writeFile(data, JSON.stringify({ kiln: { cluster: clusterData(cluster) } }));
    const args = ['test', '--no-color', '--output', 'json', '--all-namespaces', '--policy', set.dir, '--data', data, ...[...objects.keys()].map((r) => path.join('objects', r))];
    let stdout: string;
    try {
      stdout = (await (opts.limit ?? ((fn) => fn()))(() => (opts.exec ?? { run }).run(opts.conftest, args, { cwd: work, timeoutMs: opts.timeoutMs }))).stdout;
    } catch (e) {
      // conftest exits 1 when a policy denies; its JSON report is still on stdout
      if (e instanceof ExecError && e.exitCode_ === 1 && e.stdout.trim().startsWith('[')) stdout = e.stdout;
      else throw new KilnError(`policies in ${set.name} could not run for cluster "${cluster.name}": ${e instanceof Error ? e.message : String(e)}`, { hint: 'check the .rego files with `conftest verify` or `opa check`' });
    }
    let entries: ConftestEntry[];
    try {
      entries = JSON.parse(stdout) as ConftestEntry[];
    } catch {
      throw new KilnError(`conftest printed no JSON report for cluster "${cluster.name}"`, { hint: 'is KILN_CONFTEST a conftest binary?' });
    }
    const out: PolicyResult[] = [];
    for (const e of entries) {
      const file = path.relative('objects', e.filename ?? '').split(path.sep).join('/');
      for (const f of e.failures ?? []) out.push({ file, severity: 'error', message: f.msg ?? 'denied' });
      for (const w of e.warnings ?? []) out.push({ file, severity: 'warning', message: w.msg ?? 'warned' });
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** KILN_CONFTEST, else `conftest` on PATH; undefined when neither exists. */
export async function findConftest(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  // as the render tools: KILN_CONFTEST, else PATH, else kiln's tools dir (where `kiln tools install` puts it)
  const candidates = env.KILN_CONFTEST ? [env.KILN_CONFTEST] : [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), path.join(toolsDir(env), 'bin')].map((d) => path.join(d, 'conftest'));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  return undefined;
}
