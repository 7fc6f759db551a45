/** `kiln init`: a fleet from nothing that validates and renders with the real tools; never overwrites. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { kiln } from '../helpers/cli.js';
import { gitIn, readTree } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';
import { pipelineTool } from '../pipelines/act.js';

describe('kiln init', () => {
  it('without --engines: helm, kustomize and manifests profiles that validate and render', async () => {
    const dir = tmp('kiln-init-');
    const r = await kiln('init', '--cwd', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { engines: string[]; files: Array<{ path: string; action: string }>; branch: string };
    expect(out.engines).toEqual(['helm', 'kustomize', 'manifests']);
    expect(out.branch).toBe('main');
    expect(readdirSync(path.join(dir, 'profiles')).sort()).toEqual(['base.yaml', 'hello-helm.yaml', 'hello-kustomize.yaml']);
    expect(readdirSync(path.join(dir, 'clusters'))).toEqual(['clusters.yaml']);
    expect(out.files.map((f) => f.path)).toContain('.gitignore');
    expect(existsSync(path.join(dir, '.github'))).toBe(false);
    expect(existsSync(path.join(dir, '.gitlab-ci.yml'))).toBe(false);
    expect((await kiln('validate', '--cwd', dir)).code).toBe(0);
    const render = await kiln('render', '--cwd', dir, '--out', path.join(dir, 'rendered'), '--json');
    expect(render.code, render.stderr).toBe(0);
    const files = [...readTree(path.join(dir, 'rendered', 'prod-1')).keys()];
    for (const p of ['base', 'hello-helm', 'hello-kustomize']) expect(files.some((f) => f.startsWith(`manifests/${p}/`)), p).toBe(true);
    expect(readFileSync(path.join(dir, 'rendered/prod-1/manifests/hello-helm/hello--configmap--hello-helm.yaml'), 'utf8')).toContain('cluster: prod-1');
  });

  it('--engines picks the profiles (jsonnet and ytt render too); a bad engine or --ci is a user error', async () => {
    const dir = tmp('kiln-init-');
    expect((await kiln('init', '--cwd', dir, '--engines', 'jsonnet,ytt')).code).toBe(0);
    expect(readdirSync(path.join(dir, 'profiles')).sort()).toEqual(['hello-jsonnet.yaml', 'hello-ytt.yaml']);
    const render = await kiln('render', '--cwd', dir, '--out', path.join(dir, 'rendered'));
    expect(render.code, render.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'rendered/dev-1/manifests/hello-ytt/hello--configmap--hello-ytt.yaml'), 'utf8')).toContain('cluster: dev-1');
    const bad = await kiln('init', '--cwd', tmp('kiln-init-'), '--engines', 'helm,pulumi');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--engines: "pulumi" is not an engine/);
    const ci = await kiln('init', '--cwd', tmp('kiln-init-'), '--ci', 'jenkins');
    expect(ci.code).toBe(1);
    expect(ci.stderr).toMatch(/--ci "jenkins" is neither github nor gitlab/);
  });

  it('refuses an existing fleet and any file it would overwrite, writing nothing; --dry-run writes nothing', async () => {
    const dir = tmp('kiln-init-');
    writeFileSync(path.join(dir, 'kiln.yaml'), 'x: 1\n');
    const again = await kiln('init', '--cwd', dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/kiln\.yaml already exists: this directory has a fleet/);

    const partial = tmp('kiln-init-');
    mkdirSync(path.join(partial, 'profiles'));
    writeFileSync(path.join(partial, 'profiles/base.yaml'), 'mine\n');
    const p = await kiln('init', '--cwd', partial);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/would overwrite profiles\/base\.yaml/);
    expect(readdirSync(partial).sort()).toEqual(['profiles']);

    const dry = tmp('kiln-init-');
    const d = await kiln('init', '--cwd', dry, '--ci', 'gitlab', '--dry-run');
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('would write .gitlab-ci.yml');
    expect(readdirSync(dry)).toEqual([]);
  });

  it('keeps an existing .gitignore, appending only the lines kiln needs', async () => {
    const dir = tmp('kiln-init-');
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n/rendered/\n');
    const r = await kiln('init', '--cwd', dir, '--json');
    expect(JSON.parse(r.stdout).files).toContainEqual({ path: '.gitignore', action: 'appended' });
    const text = readFileSync(path.join(dir, '.gitignore'), 'utf8');
    expect(text.startsWith('node_modules/\n/rendered/\n')).toBe(true);
    expect(text.match(/^\/rendered\/$/gm)).toHaveLength(1);
    expect(text).toContain('/.kiln-cache/');
    // in a git repo, rendered output and the pipelines' dirs stay out of git status
    gitIn(dir, 'init', '--quiet', '-b', 'trunk');
    expect((await kiln('render', '--cwd', dir, '--out', path.join(dir, 'rendered'))).code).toBe(0);
    mkdirSync(path.join(dir, '.kiln-cache'));
    writeFileSync(path.join(dir, '.kiln-cache/x'), '');
    expect(gitIn(dir, 'status', '--porcelain', '--untracked-files=all')).not.toMatch(/rendered\/|\.kiln-cache/);
  });

  it('--ci github: a workflow on the repo\'s branch calling the reusable workflow, clean under actionlint with shellcheck', async () => {
    const dir = tmp('kiln-init-');
    gitIn(dir, 'init', '--quiet', '-b', 'trunk');
    expect((await kiln('init', '--cwd', dir, '--ci', 'github')).code).toBe(0);
    const file = path.join(dir, '.github/workflows/kiln.yml');
    const wf = parse(readFileSync(file, 'utf8')) as { on: { push: { branches: string[] }; workflow_dispatch: { inputs: { to: { options: string[] } } } }; jobs: { kiln: { uses: string; permissions: Record<string, string> } } };
    expect(wf.on.push.branches).toEqual(['trunk']);
    expect(wf.on.workflow_dispatch.inputs.to.options).toEqual(['staging', 'prod']);
    expect(wf.jobs.kiln.uses).toBe('kiln-dev/kiln/.github/workflows/kiln.yml@v1');
    expect(wf.jobs.kiln.permissions).toMatchObject({ contents: 'write', 'pull-requests': 'write' });
    expect(spawnSync('shellcheck', ['--version']).status, 'shellcheck (scripts/setup.sh installs it)').toBe(0);
    const lint = spawnSync(pipelineTool('actionlint'), ['-no-color', '.github/workflows/kiln.yml'], { cwd: dir, encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
  });

  it('--ci gitlab: an include of the template with full history and the promotion targets', async () => {
    const dir = tmp('kiln-init-');
    expect((await kiln('init', '--cwd', dir, '--ci', 'gitlab')).code).toBe(0);
    const ci = parse(readFileSync(path.join(dir, '.gitlab-ci.yml'), 'utf8')) as { include: Array<{ remote: string }>; variables: Record<string, string>; 'kiln-promote': { parallel: { matrix: Array<{ KILN_PROMOTE_TO: string[] }> } } };
    expect(ci.include[0]!.remote).toMatch(/\/pipelines\/gitlab\/kiln\.gitlab-ci\.yml$/);
    expect(ci.variables.GIT_DEPTH).toBe('0');
    expect(ci['kiln-promote'].parallel.matrix[0]!.KILN_PROMOTE_TO).toEqual(['staging', 'prod']);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toContain('/public/');
  });
});
