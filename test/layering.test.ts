/** The layering rules of the source tree, checked on the imports themselves. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from './helpers/fleet-repo.js';

const src = path.join(projectRoot, 'src');
const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\b[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
const filesOf = (dir: string) => readdirSync(path.join(src, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, dir, f));

describe('layering', () => {
  it.each([['diff'], ['fleet'], ['promote'], ['git'], ['render']])('%s/ takes nothing from commands/', (dir) => {
    const bad = filesOf(dir).flatMap((f) => imports(f).filter((i) => i.includes('/commands/')).map((i) => `${path.relative(src, f)} → ${i}`));
    expect(bad).toEqual([]);
  });

  it('commands do not import commands (options.ts, which only re-exports, aside)', () => {
    const bad = filesOf('commands').flatMap((f) => imports(f).filter((i) => /^\.\/(?!options\.js$)/.test(i)).map((i) => `${path.relative(src, f)} → ${i}`));
    expect(bad).toEqual([]);
  });

  it('the CLI loads a command module only when that command runs (start-up of every other command stays small)', () => {
    // `import type` is erased; a value import would load every command's whole module graph at start-up
    const valueImport = /^import\s+(?!type\b)[^;]*?from\s+'\.\.\/commands\/[^']+'/gms;
    const bad = filesOf('cli').flatMap((f) => [...readFileSync(f, 'utf8').matchAll(valueImport)].map((m) => `${path.relative(src, f)}: ${m[0].replace(/\s+/g, ' ')}`));
    expect(bad).toEqual([]);
    const lazy = filesOf('cli').flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/await import\('\.\.\/commands\/([^']+)'\)/g)].map((m) => m[1]));
    expect(lazy).toEqual(expect.arrayContaining(['publish.js', 'diff.js', 'render.js']));
  });

  it('scm/gitlab.ts does not load Octokit', () => {
    expect(imports(path.join(src, 'scm/gitlab.ts')).filter((i) => i.includes('octokit') || i.endsWith('github.js'))).toEqual([]);
  });
});
