/**
 * The whole bad-input corpus through the CLI's one error boundary, in-process: fixtures/bad/config/*
 * with `kiln validate`, fixtures/bad/render/* (tiny fleets that load fine and fail while rendering)
 * with `kiln render`. Every case must exit 1 with one `error:` line naming what is wrong (file:line
 * when there is one) — never 70, never a stack trace, never a cascade of errors.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { clearToolCache } from '../../src/render/tools.js';
import { kiln } from '../helpers/cli.js';
import { projectRoot } from '../helpers/fleet-repo.js';

interface Expect {
  error: string[];
  file?: string;
  line?: number;
  /** Values that must not be printed (e.g. a refused Secret's content). */
  absent?: string[];
  /** Environment for the run; `{dir}` is the case's copy. */
  env?: Record<string, string>;
  symlink?: { path: string; target: string };
  generate?: { file: string; bytes: number; head?: string; line?: string };
}

const bad = path.join(projectRoot, 'fixtures/bad');
const list = (kind: string) => readdirSync(path.join(bad, kind)).sort().map((name) => [kind, name] as const);
const cases = [...list('config'), ...list('render')];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kiln-corpus-'));
const saved = { ...process.env };

beforeAll(() => {
  // the persistent render cache of these runs stays in the temp dir
  process.env.KILN_CACHE_DIR = path.join(tmp, '.cache');
});
afterAll(() => {
  process.env = saved;
  clearToolCache();
  rmSync(tmp, { recursive: true, force: true });
});

function prepare(kind: string, name: string): { dir: string; exp: Expect } {
  const src = path.join(bad, kind, name);
  const exp = parse(readFileSync(path.join(src, 'expect.yaml'), 'utf8')) as Expect;
  const dir = path.join(tmp, kind, name);
  cpSync(src, dir, { recursive: true, filter: (p) => path.basename(p) !== 'expect.yaml' });
  if (exp.symlink) {
    mkdirSync(path.dirname(path.join(dir, exp.symlink.path)), { recursive: true });
    symlinkSync(exp.symlink.target, path.join(dir, exp.symlink.path));
  }
  if (exp.generate) {
    const g = exp.generate;
    const line = g.line ?? '# padding padding padding padding padding padding padding padding padding\n';
    mkdirSync(path.dirname(path.join(dir, g.file)), { recursive: true });
    writeFileSync(path.join(dir, g.file), (g.head ?? '') + line.repeat(Math.ceil(g.bytes / line.length)));
  }
  const tools = path.join(dir, 'tools');
  if (existsSync(tools)) for (const f of readdirSync(tools)) chmodSync(path.join(tools, f), 0o755);
  return { dir, exp };
}

describe('bad input corpus through the CLI', () => {
  it('has at least 60 cases, of which at least 25 fail while rendering', () => {
    expect(cases.length).toBeGreaterThanOrEqual(60);
    expect(cases.filter(([k]) => k === 'render').length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s/%s', async (kind, name) => {
    const { dir, exp } = prepare(kind, name);
    const env = Object.entries(exp.env ?? {}).map(([k, v]) => [k, v.replace('{dir}', dir)] as const);
    for (const [k, v] of env) process.env[k] = v;
    let r;
    try {
      const argv = kind === 'config' ? ['validate', '--cwd', dir] : ['render', '--cwd', dir, '--out', path.join(dir, '.out'), '--log-level', 'warn'];
      r = await kiln(...argv);
    } finally {
      for (const [k] of env) delete process.env[k];
      clearToolCache();
    }
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at |this is a bug/);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors, r.stderr).toHaveLength(1);
    const line = errors[0]!.slice('error: '.length);
    if (exp.file) {
      const where = exp.line === undefined ? `${exp.file}: ` : `${exp.file}:${exp.line}:`;
      expect(line.startsWith(where), `"${line}" starts with ${where}`).toBe(true);
    }
    for (const s of exp.error) expect(line).toContain(s);
    for (const s of exp.absent ?? []) expect(r.stderr + r.stdout).not.toContain(s);
    // a failed render writes no cluster directory
    if (kind === 'render') expect(existsSync(path.join(dir, '.out', 'dev-1'))).toBe(false);
  });
});
