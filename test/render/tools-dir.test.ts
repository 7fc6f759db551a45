/** Tool discovery (KILN_<TOOL>, PATH, kiln's tools dir), Helm 3 beside Helm 4, `kiln tools` and `kiln tools install`. */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { clearToolCache, findTools } from '../../src/render/tools.js';
import { pinnedTools } from '../../src/render/tools-install.js';
import { kiln } from '../helpers/cli.js';
import { withEnv as withEnvShared } from '../helpers/with-env.js';
import { fixturesFleet } from '../helpers/fleet-repo.js';
import { projectRoot, removeTempDirs, tempDir, writeFiles } from './helpers.js';

afterAll(removeTempDirs);
afterEach(() => clearToolCache());

function fake(dir: string, name: string, version: string): string {
  writeFiles(dir, { [name]: `#!/bin/sh\necho '${version}'\n` });
  chmodSync(path.join(dir, name), 0o755);
  return path.join(dir, name);
}

/** A tools dir laid out as setup / `kiln tools install` leave it: bin/helm is Helm 4, bin/helm3 Helm 3. */
function toolsDirWith(tools: Record<string, string>): string {
  const dir = tempDir('kiln-tools-dir-');
  for (const [name, version] of Object.entries(tools)) fake(path.join(dir, 'bin'), name, version);
  return dir;
}

describe('where kiln finds a tool', () => {
  it('KILN_<TOOL>, then PATH, then $KILN_TOOLS_DIR/bin', async () => {
    const dir = toolsDirWith({ helm: 'v4.3.1', ytt: 'ytt version 0.53.0' });
    const onPath = tempDir('kiln-path-');
    const pathHelm = fake(onPath, 'helm', 'v3.21.0');
    const envHelm = fake(tempDir('kiln-env-'), 'helm', 'v3.20.0');
    const base = { PATH: `/nonexistent:${onPath}`, KILN_TOOLS_DIR: dir, KILN_RENDER_CACHE: 'off' };

    expect((await findTools(['helm', 'ytt'], {}, base))).toEqual({
      helm: { name: 'helm', path: pathHelm, version: 'v3.21.0' },
      ytt: { name: 'ytt', path: path.join(dir, 'bin', 'ytt'), version: 'v0.53.0' },
    });
    clearToolCache();
    expect((await findTools(['helm'], {}, { ...base, KILN_HELM: envHelm })).helm!.path).toBe(envHelm);

    const r = await kiln('tools', '--json', '--cwd', tempDir('kiln-nofleet-'));
    expect(r.code).toBe(0); // the real environment: the pinned tools are somewhere
    const out = await toolsCli(['--json'], { ...base, KILN_HELM: envHelm });
    expect(out.tools.find((t) => t.name === 'helm')).toMatchObject({ version: 'v3.20.0', path: envHelm, foundIn: 'env' });
    expect(out.tools.find((t) => t.name === 'ytt')).toMatchObject({ version: 'v0.53.0', foundIn: 'tools-dir' });
    expect(out.tools.find((t) => t.name === 'jsonnet')).toMatchObject({ version: null, path: null, foundIn: null });
    const text = await toolsCli([], base);
    expect(text.text).toContain(`helm       v3.21.0  ${pathHelm} (on PATH); also v4.3.1 at ${path.join(dir, 'bin', 'helm')} (in kiln's tools dir)`);
    expect(text.text).toContain(`ytt        v0.53.0  ${path.join(dir, 'bin', 'ytt')} (in kiln's tools dir)`);
    expect(text.text).toMatch(/jsonnet +missing +jsonnet is not on PATH nor in .* \(run `kiln tools install`\)/);
  });

  it('a spec.tools.helm range picks Helm 3 or Helm 4 when both are there', async () => {
    const dir = toolsDirWith({ helm: 'v4.3.1', helm3: 'v3.22.0' });
    const env = { PATH: '/nonexistent', KILN_TOOLS_DIR: dir, KILN_RENDER_CACHE: 'off' };
    expect((await findTools(['helm'], {}, env)).helm).toEqual({ name: 'helm', path: path.join(dir, 'bin', 'helm'), version: 'v4.3.1' });
    expect((await findTools(['helm'], { helm: '^3.18' }, env)).helm).toEqual({ name: 'helm', path: path.join(dir, 'bin', 'helm3'), version: 'v3.22.0' });
    expect((await findTools(['helm'], { helm: '>=4.0.0' }, env)).helm!.version).toBe('v4.3.1');
    // nothing satisfies: the error names the default one
    await expect(findTools(['helm'], { helm: '^2' }, env)).rejects.toThrow(`helm v4.3.1 at ${path.join(dir, 'bin', 'helm')} does not satisfy spec.tools.helm "^2"`);
    // an override is the only candidate, even when another would satisfy the range
    const pinned = fake(tempDir('kiln-env-'), 'helm', 'v4.0.0');
    await expect(findTools(['helm'], { helm: '^3.18' }, { ...env, KILN_HELM: pinned })).rejects.toThrow(/helm v4\.0\.0 at .* does not satisfy/);
  });

  it('`kiln tools` in a fleet repo applies its spec.tools ranges', async () => {
    const dir = toolsDirWith({ helm: 'v4.3.1', helm3: 'v3.22.0' });
    const fleet = tempDir('kiln-fleet-');
    writeFiles(fleet, {
      'kiln.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata: { name: f }\nspec:\n  environments: [{ name: dev }]\n  tools: { helm: "^3.18" }\n',
      'clusters/a.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata: { name: a }\nspec: { environment: dev, kubeVersion: "1.31.0" }\n',
    });
    const out = await toolsCli(['--json', '--cwd', fleet], { PATH: '/nonexistent', KILN_TOOLS_DIR: dir, KILN_RENDER_CACHE: 'off' });
    expect(out.tools.find((t) => t.name === 'helm')).toMatchObject({ version: 'v3.22.0', path: path.join(dir, 'bin', 'helm3'), constraint: '^3.18', alternatives: [{ version: 'v4.3.1' }] });
  });
});

describe('kiln tools install', () => {
  it('builds a pinned tool with Go into the tools dir, reuses it the second time, and kiln then finds it there', async () => {
    const dir = tempDir('kiln-install-');
    const env = { KILN_TOOLS_DIR: dir };
    const first = await withEnv(env, () => kiln('tools', 'install', 'jsonnet', '--json'));
    expect(first.stderr).toContain('jsonnet v0.22.0: building with go');
    expect(first.code).toBe(0);
    const [jsonnet] = (JSON.parse(first.stdout) as { installed: Array<{ name: string; built: boolean; path: string }> }).installed;
    expect(jsonnet).toMatchObject({ name: 'jsonnet', built: true, path: path.join(dir, 'jsonnet-v0.22.0', 'jsonnet') });
    expect(lstatSync(path.join(dir, 'bin', 'jsonnet')).isSymbolicLink()).toBe(true);
    const second = await withEnv(env, () => kiln('tools', 'install', 'jsonnet'));
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^jsonnet +v0\.22\.0 +reused /m);
    const out = await toolsCli(['--json'], { PATH: '/nonexistent', KILN_TOOLS_DIR: dir, KILN_RENDER_CACHE: 'off' });
    expect(out.tools.find((t) => t.name === 'jsonnet')).toMatchObject({ version: 'v0.22.0', foundIn: 'tools-dir' });
  });

  it('builds the kustomize render worker by name, hashed as the build script hashes it, and a render then uses it', async () => {
    const dir = tempDir('kiln-install-');
    const r = await withEnv({ KILN_TOOLS_DIR: dir }, () => kiln('tools', 'install', 'kiln-render-worker-kustomize', '--json'));
    expect(r.code, r.stderr).toBe(0);
    const installed = (JSON.parse(r.stdout) as { installed: Array<{ name: string; version: string; built: boolean; path: string }> }).installed;
    expect(installed.map((w) => w.name)).toEqual(['kiln-render-worker-kustomize']);
    expect(installed[0]!.path).toBe(path.join(dir, `kiln-render-worker-kustomize-${installed[0]!.version}`, 'kiln-render-worker-kustomize'));
    expect(realpathSync(path.join(dir, 'bin', 'kiln-render-worker-kustomize'))).toBe(installed[0]!.path);
    const render = await withEnv({ KILN_TOOLS_DIR: dir, KILN_RENDER_WORKER: undefined, KILN_RENDER_CACHE: 'off' }, () => kiln('render', '--cwd', fixturesFleet, '--out', tempDir('kiln-out-'), '--cluster', 'prod-eu-1', '--log-level', 'debug'));
    expect(render.code, render.stderr).toBe(0);
    expect(render.stderr).toMatch(/^debug: ran kustomize \(worker\) build /m);
    expect(render.stderr).not.toMatch(/^debug: ran \S*kustomize build /m);
  });

  it("builds kiln's render worker from the package's source, reuses it, and the render then uses it", async () => {
    const dir = tempDir('kiln-install-');
    const env = { KILN_TOOLS_DIR: dir };
    const first = await withEnv(env, () => kiln('tools', 'install', 'kiln-render-worker', '--json'));
    expect(first.code, first.stderr).toBe(0);
    const [w] = (JSON.parse(first.stdout) as { installed: Array<{ name: string; version: string; built: boolean; path: string }> }).installed;
    expect(w).toMatchObject({ name: 'kiln-render-worker', built: true, path: expect.stringMatching(new RegExp(`^${dir}/kiln-render-worker-[0-9a-f]{12}/kiln-render-worker$`)) });
    expect(w!.path).toContain(w!.version);
    expect(realpathSync(path.join(dir, 'bin', 'kiln-render-worker'))).toBe(w!.path);
    // reused, also where no Go is (a CI cache restored the tools dir): the hash kiln computes is the script's
    const second = await withEnv({ ...env, PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` }, () => kiln('tools', 'install', 'kiln-render-worker'));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^kiln-render-worker +[0-9a-f]{12} +reused /m);
    // the jsonnet CLI found on PATH; the worker only in this tools dir: the render goes through it
    const r = await withEnv({ ...env, KILN_RENDER_WORKER: undefined, KILN_RENDER_CACHE: 'off' }, () => kiln('render', '--cwd', fixturesFleet, '--out', tempDir('kiln-out-'), '--cluster', 'prod-eu-1', '--log-level', 'debug'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^debug: ran jsonnet \(worker\) /m);
    // no Go: asked for by name, it says why; not asked for, the rest installs without it
    const noGo = await withEnv({ KILN_TOOLS_DIR: tempDir('kiln-install-'), PATH: '/nonexistent' }, () => kiln('tools', 'install', 'kiln-render-worker'));
    expect(noGo.code).toBe(1);
    expect(noGo.stderr).toContain("kiln-render-worker is built from kiln's own source and needs Go (kiln runs the jsonnet CLI without it)");
  });

  it('build-render-worker.sh builds every tools/render-worker*/ module; a failed one is named and the others still built', () => {
    // the script beside a tools/ of two modules, one that does not compile
    const root = tempDir('kiln-rw-build-');
    writeFiles(root, {
      'tools/render-worker-broken/go.mod': 'module kiln.local/broken\n\ngo 1.24\n',
      'tools/render-worker-broken/go.sum': '',
      'tools/render-worker-broken/main.go': 'package main\n\nfunc main() { undefined() }\n',
      'tools/render-worker-ok/go.mod': 'module kiln.local/ok\n\ngo 1.24\n',
      'tools/render-worker-ok/go.sum': '',
      'tools/render-worker-ok/main.go': 'package main\n\nfunc main() {}\n',
    });
    mkdirSync(path.join(root, 'scripts'));
    copyFileSync(path.join(projectRoot, 'scripts/build-render-worker.sh'), path.join(root, 'scripts/build-render-worker.sh'));
    const dir = tempDir('kiln-rw-tools-');
    const r = spawnSync('bash', [path.join(root, 'scripts/build-render-worker.sh'), dir], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('failed kiln-render-worker-broken');
    expect(lines[1]).toMatch(new RegExp(`^built ${dir}/kiln-render-worker-ok-[0-9a-f]{12}/kiln-render-worker-ok$`));
    expect(r.stderr).toContain('building kiln-render-worker-broken failed');
    expect(r.stderr).toContain('kiln runs the CLI instead of this worker');
    expect(existsSync(path.join(dir, 'bin', 'kiln-render-worker-ok'))).toBe(true);
    expect(existsSync(path.join(dir, 'bin', 'kiln-render-worker-broken'))).toBe(false);
    // only the one asked for
    const again = spawnSync('bash', [path.join(root, 'scripts/build-render-worker.sh'), dir, 'kiln-render-worker-ok'], { encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/^reused \S+\/kiln-render-worker-ok\n$/);
  });

  it('without Go it says exactly what to install; an unknown tool is refused', async () => {
    const dir = tempDir('kiln-install-');
    const noGo = await withEnv({ KILN_TOOLS_DIR: dir, PATH: '/nonexistent' }, () => kiln('tools', 'install'));
    expect(noGo.code).toBe(1);
    expect(noGo.stderr).toContain('error: Go is not on PATH, so kiln cannot build its tools');
    for (const t of await pinnedTools()) expect(noGo.stderr).toContain(`${t.name} ${t.version} (go install ${t.pkg}@${t.version})`);
    expect(existsSync(path.join(dir, 'bin'))).toBe(false);
    const unknown = await withEnv({ KILN_TOOLS_DIR: dir }, () => kiln('tools', 'install', 'kubectl'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: unknown tool "kubectl" (the pinned tools are helm, helm3, kustomize, jsonnet, ytt, conftest, k8s-openapi, kiln-render-worker, kiln-render-worker-kustomize, kiln-render-worker-helm)');
  });

  it('the pinned list is what setup builds: Helm 4 as helm, Helm 3 as helm3', async () => {
    const pinned = await pinnedTools();
    expect(pinned.map((t) => t.name)).toEqual(['helm', 'helm3', 'kustomize', 'jsonnet', 'ytt']);
    expect(pinned[0]).toMatchObject({ module: 'helm.sh/helm/v4', version: expect.stringMatching(/^v4\./) });
    expect(pinned[1]).toMatchObject({ module: 'helm.sh/helm/v3', version: expect.stringMatching(/^v3\./) });
    expect(readFileSync(path.join(fixturesFleet, '..', '..', 'scripts', 'setup.sh'), 'utf8')).toContain('pinned-tools.txt');
  });
});

/** withEnv, then the tool lookup forgotten: the next lookup sees the environment as it is again. */
async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  try {
    return await withEnvShared(env, fn);
  } finally {
    clearToolCache();
  }
}

interface ToolsJson {
  tools: Array<{ name: string; version: string | null; path: string | null; foundIn: string | null; constraint?: string; alternatives: Array<{ version: string }> }>;
  text: string;
}

/** `kiln tools` with exactly `env` (no inherited KILN_* or PATH). */
async function toolsCli(args: string[], env: Record<string, string>): Promise<ToolsJson> {
  const unset = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('KILN_') || k === 'PATH').map((k) => [k, undefined]));
  const cwd = args.includes('--cwd') ? [] : ['--cwd', tempDir('kiln-nofleet-')];
  const r = await withEnv({ ...unset, ...env }, () => kiln('tools', ...args, ...cwd));
  if (r.code !== 0) throw new Error(r.stderr);
  return args.includes('--json') ? { ...(JSON.parse(r.stdout) as ToolsJson), text: '' } : { tools: [], text: r.stdout };
}
