/**
 * A small stand-in for GitLab CI, enough to run kiln's includable template without a GitLab or a
 * docker daemon: `extends` (deep merge, arrays replaced), `rules` (`$VAR`, `==`, `!=`, `&&`, `||`,
 * parentheses; first match wins, `when`/`allow_failure`), `parallel: N` (CI_NODE_INDEX/CI_NODE_TOTAL)
 * and `parallel: matrix`, variable precedence (predefined < template globals < job < matrix <
 * project/pipeline variables) with `$VAR`/`${VAR}` expansion, and each job's before_script + script
 * run as the shell executor does: one bash with `set -eo pipefail`, in a fresh clone of the project
 * checked out detached at the pipeline's commit. Not modelled: image, cache, artifacts upload, needs.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { gitIn } from '../helpers/fleet-repo.js';

type Job = Record<string, unknown>;
type Vars = Record<string, string>;

export interface PlannedJob {
  name: string;
  when: string;
  allowFailure: boolean;
  stage: string;
  /** Expanded (for rules); `raw` is re-expanded per build, once CI_PROJECT_DIR is known. */
  variables: Vars;
  raw: Vars;
  script: string[];
  def: Job;
}

const RESERVED = new Set(['variables', 'stages', 'include', 'default', 'workflow', 'image', 'services', 'cache', 'before_script', 'after_script']);

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

function varValue(v: unknown): string {
  return isObj(v) ? String(v.value ?? '') : String(v ?? '');
}

/** `$X` / `${X}` expansion, as the runner does for variables and job keys. */
export function expand(s: string, vars: Vars, depth = 0): string {
  const out = s.replace(/\$\$|\$\{(\w+)\}|\$(\w+)/g, (m, a?: string, b?: string) => (m === '$$' ? '$' : (vars[(a ?? b)!] ?? '')));
  return depth < 5 && out !== s && /\$\{?\w/.test(out) ? expand(out, vars, depth + 1) : out;
}

/** A rules `if:` expression. */
export function ruleMatches(expr: string, vars: Vars): boolean {
  const js = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\$(\w+)/g, (m, name?: string) => {
    if (!name) return JSON.stringify(m.slice(1, -1));
    const v = vars[name];
    return v === undefined ? 'null' : JSON.stringify(v);
  });
  const r: unknown = new Function(`return (${js});`)();
  return r !== null && r !== undefined && r !== '' && r !== false;
}

export class GitLabTemplate {
  readonly doc: Record<string, unknown>;

  constructor(file: string) {
    this.doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  }

  get globals(): Vars {
    return Object.fromEntries(Object.entries((this.doc.variables as Record<string, unknown>) ?? {}).map(([k, v]) => [k, varValue(v)]));
  }

  resolved(name: string): Job {
    const job = this.doc[name] as Job;
    if (!job) throw new Error(`no job ${name}`);
    const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? (job.extends as string[]) : [job.extends as string];
    let merged: Job = {};
    for (const p of parents) merged = deepMerge(merged, this.resolved(p));
    const { extends: _e, ...own } = job;
    return deepMerge(merged, own);
  }

  /** The jobs a pipeline with these predefined/project variables would create, parallel ones expanded. */
  plan(predefined: Vars, project: Vars = {}): PlannedJob[] {
    const jobs: PlannedJob[] = [];
    for (const name of Object.keys(this.doc)) {
      if (RESERVED.has(name) || name.startsWith('.')) continue;
      const def = this.resolved(name);
      const own = Object.fromEntries(Object.entries((def.variables as Record<string, unknown>) ?? {}).map(([k, v]) => [k, varValue(v)]));
      const parallel = def.parallel as number | { matrix: Array<Record<string, string | string[]>> } | undefined;
      const instances: Array<{ suffix: string; vars: Vars }> = [];
      if (typeof parallel === 'number') {
        for (let i = 1; i <= parallel; i++) instances.push({ suffix: ` ${i}/${parallel}`, vars: { CI_NODE_INDEX: String(i), CI_NODE_TOTAL: String(parallel) } });
      } else if (parallel?.matrix) {
        const combos: Vars[] = [];
        for (const entry of parallel.matrix) {
          let partial: Vars[] = [{}];
          for (const [k, v] of Object.entries(entry)) partial = partial.flatMap((p) => (Array.isArray(v) ? v : [v]).map((x) => ({ ...p, [k]: String(x) })));
          combos.push(...partial);
        }
        combos.forEach((c, i) => instances.push({ suffix: `: [${Object.values(c).join(', ')}]`, vars: { ...c, CI_NODE_INDEX: String(i + 1), CI_NODE_TOTAL: String(combos.length) } }));
      } else {
        instances.push({ suffix: '', vars: { CI_NODE_TOTAL: '1' } });
      }
      for (const inst of instances) {
        const raw: Vars = { ...predefined, ...this.globals, ...own, ...inst.vars, ...project };
        const vars: Vars = {};
        for (const [k, v] of Object.entries(raw)) vars[k] = expand(v, raw);
        const rules = def.rules as Array<{ if?: string; when?: string; allow_failure?: boolean }> | undefined;
        let when = String(def.when ?? 'on_success');
        let allowFailure = Boolean(def.allow_failure ?? false);
        if (rules) {
          const hit = rules.find((r) => r.if === undefined || ruleMatches(r.if, vars));
          if (!hit || hit.when === 'never') continue;
          if (hit.when) when = hit.when;
          if (hit.allow_failure !== undefined) allowFailure = hit.allow_failure;
        }
        const lines = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
        jobs.push({ name: name + inst.suffix, when, allowFailure, stage: String(def.stage ?? 'test'), variables: vars, raw, script: [...lines(def.before_script), ...lines(def.script)], def });
      }
    }
    return jobs;
  }
}

export interface JobRun {
  name: string;
  code: number;
  log: string;
  projectDir: string;
}

/**
 * Runs one planned job like the shell executor: clone the project from `projectUrl` into
 * `buildsDir/<slug>`, check out CI_COMMIT_SHA detached, `prepare(dir)` (a cache restore), then bash.
 */
export async function runJob(job: PlannedJob, o: { projectUrl: string; buildsDir: string; baseEnv: NodeJS.ProcessEnv; prepare?: (projectDir: string) => void }): Promise<JobRun> {
  const slug = job.name.replace(/[^a-z0-9]+/gi, '-');
  const dir = path.join(o.buildsDir, slug);
  mkdirSync(o.buildsDir, { recursive: true });
  gitIn(o.buildsDir, 'clone', '--quiet', o.projectUrl, dir);
  gitIn(dir, 'checkout', '--quiet', '--force', '--detach', job.variables.CI_COMMIT_SHA!);
  o.prepare?.(dir);
  // the runner's own variables for this build: the project dir is the checkout
  const vars: Vars = {};
  const raw = { ...job.raw, CI_PROJECT_DIR: dir, CI_BUILDS_DIR: o.buildsDir, CI_JOB_NAME: job.name };
  for (const [k, v] of Object.entries(raw)) vars[k] = expand(v, raw);
  const script = path.join(o.buildsDir, `${slug}.sh`);
  writeFileSync(script, ['set -eo pipefail', ...job.script].join('\n') + '\n');
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', script], { cwd: dir, env: { ...o.baseEnv, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    child.on('close', (code) => resolve({ name: job.name, code: code ?? -1, log, projectDir: dir }));
  });
}
