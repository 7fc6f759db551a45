/**
 * A small stand-in for the GitHub Actions runner, enough to run a composite action's `run:` steps:
 * `${{ }}` expressions over inputs/github/env/runner/steps (evaluated by us), `if:` conditions,
 * GITHUB_OUTPUT / GITHUB_ENV / GITHUB_PATH / GITHUB_STEP_SUMMARY files, `working-directory`, and
 * bash as the runner calls it (`bash --noprofile --norc -eo pipefail {0}`). `uses:` steps are not run:
 * they are recorded as skipped (their outputs are empty, e.g. actions/cache reports no cache hit).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export type Ctx = Record<string, unknown>;

function lookup(ctx: Ctx, dotted: string): unknown {
  let v: unknown = ctx;
  for (const k of dotted.split('.')) {
    if (v === null || typeof v !== 'object') return '';
    v = (v as Record<string, unknown>)[k];
  }
  return v ?? '';
}

/** Evaluates a GitHub expression (the subset kiln's workflows use: contexts, literals, ==, !=, &&, ||, !, status functions). */
export function evalExpr(expr: string, ctx: Ctx): unknown {
  const js = expr.replace(/'(?:[^']|'')*'|\b(inputs|github|env|runner|steps|matrix|secrets|needs|vars)((?:\.[A-Za-z_][\w-]*)+)/g, (m, name?: string, rest?: string) =>
    name ? JSON.stringify(lookup(ctx, name + rest)) : JSON.stringify(m.slice(1, -1).replace(/''/g, "'")),
  );
  const fns = { success: () => true, always: () => true, failure: () => false, cancelled: () => false };
  return new Function(...Object.keys(fns), `return (${js});`)(...Object.values(fns));
}

/** Replaces every `${{ expr }}` in a string. */
export function interpolate(s: string, ctx: Ctx): string {
  return s.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_, e: string) => {
    const v = evalExpr(e, ctx);
    return v === null || v === undefined ? '' : String(v);
  });
}

function condition(s: unknown, ctx: Ctx): boolean {
  if (s === undefined) return true;
  if (typeof s === 'boolean') return s;
  const text = String(s).trim();
  const m = /^\$\{\{([\s\S]*)\}\}$/.exec(text);
  return Boolean(evalExpr(m ? m[1]! : text, ctx));
}

/** GITHUB_OUTPUT / GITHUB_ENV syntax: `k=v` lines and `k<<DELIM` … `DELIM` blocks. */
export function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const body: string[] = [];
      while (++i < lines.length && lines[i] !== heredoc[2]) body.push(lines[i]!);
      out[heredoc[1]!] = body.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

export interface StepRecord {
  id?: string;
  name: string;
  status: 'ran' | 'skipped-if' | 'skipped-uses' | 'failed';
  code?: number;
  stdout?: string;
  stderr?: string;
}

export interface ActionRun {
  ok: boolean;
  steps: StepRecord[];
  outputs: Record<string, string>;
  summary: string;
}

export interface RunActionOptions {
  actionDir: string;
  inputs: Record<string, string>;
  /** The GITHUB_* / RUNNER_* environment the runner sets (GITHUB_WORKSPACE required). */
  env: Record<string, string>;
  github?: Record<string, unknown>;
}

/** Runs a composite action's steps like the runner would, with our expression evaluation. */
export function runCompositeAction(o: RunActionOptions): ActionRun {
  const action = parse(readFileSync(path.join(o.actionDir, 'action.yml'), 'utf8')) as {
    inputs: Record<string, { default?: string }>;
    outputs: Record<string, { value: string }>;
    runs: { using: string; steps: Array<Record<string, unknown>> };
  };
  if (action.runs.using !== 'composite') throw new Error('not a composite action');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kiln-gha-'));
  const env: Record<string, string> = { ...o.env, GITHUB_ACTION_PATH: o.actionDir, GITHUB_STEP_SUMMARY: path.join(tmp, 'summary.md') };
  writeFileSync(env.GITHUB_STEP_SUMMARY!, '');
  const github = { action_path: o.actionDir, token: '', workspace: env.GITHUB_WORKSPACE, server_url: env.GITHUB_SERVER_URL, repository: env.GITHUB_REPOSITORY, sha: env.GITHUB_SHA, ref: env.GITHUB_REF, event_name: env.GITHUB_EVENT_NAME, ...o.github };
  const runner = { temp: env.RUNNER_TEMP, os: env.RUNNER_OS, arch: env.RUNNER_ARCH };
  // inputs: declared ones only, defaults evaluated in the caller's context (github.token)
  const inputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(action.inputs ?? {})) {
    inputs[k] = o.inputs[k] ?? interpolate(String(spec.default ?? ''), { github, runner, env });
  }
  for (const k of Object.keys(o.inputs)) if (!(k in inputs)) throw new Error(`input ${k} is not declared in action.yml`);
  const steps: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
  const records: StepRecord[] = [];
  let failed = false;
  let n = 0;
  for (const step of action.runs.steps) {
    n++;
    const ctx: Ctx = { inputs, github, runner, env, steps };
    const name = interpolate(String(step.name ?? step.uses ?? `step ${n}`), ctx);
    const id = step.id as string | undefined;
    const ifExpr = step.if ?? (failed ? 'success()' : undefined);
    if (failed && !(typeof step.if === 'string' && /always\(\)|failure\(\)/.test(step.if))) {
      records.push({ id, name, status: 'skipped-if' });
      continue;
    }
    if (!condition(ifExpr, ctx)) {
      records.push({ id, name, status: 'skipped-if' });
      if (id) steps[id] = { outputs: {}, outcome: 'skipped' };
      continue;
    }
    if (step.uses) {
      records.push({ id, name, status: 'skipped-uses' });
      if (id) steps[id] = { outputs: {}, outcome: 'success' };
      continue;
    }
    if (step.shell !== 'bash') throw new Error(`step ${name}: composite run steps need shell: bash`);
    const files = { GITHUB_OUTPUT: path.join(tmp, `output-${n}`), GITHUB_ENV: path.join(tmp, `env-${n}`), GITHUB_PATH: path.join(tmp, `path-${n}`) };
    for (const f of Object.values(files)) writeFileSync(f, '');
    const stepEnv: Record<string, string> = { ...env, ...files };
    for (const [k, v] of Object.entries((step.env as Record<string, unknown>) ?? {})) stepEnv[k] = interpolate(String(v ?? ''), ctx);
    const script = path.join(tmp, `step-${n}.sh`);
    writeFileSync(script, interpolate(String(step.run), ctx));
    const wd = step['working-directory'] ? path.resolve(env.GITHUB_WORKSPACE!, interpolate(String(step['working-directory']), ctx)) : env.GITHUB_WORKSPACE!;
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], { cwd: wd, env: stepEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const outputs = parseCommandFile(readFileSync(files.GITHUB_OUTPUT, 'utf8'));
    Object.assign(env, parseCommandFile(readFileSync(files.GITHUB_ENV, 'utf8')));
    const added = readFileSync(files.GITHUB_PATH, 'utf8').split('\n').filter(Boolean);
    if (added.length) env.PATH = [...added.reverse(), env.PATH].join(path.delimiter);
    const ok = r.status === 0;
    records.push({ id, name, status: ok ? 'ran' : 'failed', code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    if (id) steps[id] = { outputs, outcome: ok ? 'success' : 'failure' };
    if (!ok) failed = true;
  }
  const ctx: Ctx = { inputs, github, runner, env, steps };
  const outputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(action.outputs ?? {})) outputs[k] = interpolate(spec.value, ctx);
  return { ok: !failed, steps: records, outputs, summary: readFileSync(env.GITHUB_STEP_SUMMARY!, 'utf8') };
}
