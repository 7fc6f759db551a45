import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, realpathSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesFleet, projectRoot } from '../helpers/fleet-repo.js';
import { tmp, which } from '../helpers/tools.js';

const pinOf = (name: string) => new RegExp(`^${name}\\|[^|]+\\|[^|]+\\|(v[\\w.-]+)$`, 'm').exec(readFileSync(path.join(projectRoot, 'scripts/check-tools.txt'), 'utf8'))![1]!;

/** What `npm install kiln` gets: the packed files must be enough to run (dist, templates, schemas). */
describe('the published package', () => {
  it('runs from its tarball', () => {
    const dir = tmp('kiln-pack-');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('bin/kiln.js');
    // what bin/kiln.js runs: the bundle (scripts/bundle.mjs), with the helper it forks beside it
    expect(files).toEqual(expect.arrayContaining(['dist/bundle/kiln.js', 'dist/bundle/spawner-child.js']));
    expect(files).toContain('templates/branch-readme.md');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/') || f.startsWith('fixtures/'))).toBe(false);
    execFileSync('tar', ['-xzf', path.join(dir, info!.filename), '-C', dir]);
    const pkg = path.join(dir, 'package');
    symlinkSync(path.join(projectRoot, 'node_modules'), path.join(pkg, 'node_modules'));
    const version = execFileSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), '--version'], { encoding: 'utf8' }).trim();
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const validated = execFileSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), 'validate', '--cwd', fixturesFleet, '--json'], { encoding: 'utf8' });
    expect(JSON.parse(validated)).toMatchObject({ ok: true, clusters: 6 });
    expect(readdirSync(pkg)).toContain('README.md');

    // a package user has no checkout and kiln's tools dir is not on PATH: kiln finds the tools there
    expect(files).toEqual(expect.arrayContaining(['scripts/pinned-tools.txt', 'scripts/build-go-tool.sh']));
    const toolsBin = path.dirname(which('helm'));
    const env = { ...process.env, PATH: [path.dirname(process.execPath), '/usr/bin', '/bin'].join(':'), KILN_TOOLS_DIR: path.dirname(toolsBin) };
    const bare = tmp('kiln-user-');
    const listed = JSON.parse(execFileSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), 'tools', '--json'], { cwd: bare, env, encoding: 'utf8' })) as { tools: Array<{ name: string; path: string; foundIn: string }> };
    for (const t of listed.tools) expect(t).toMatchObject({ path: path.join(toolsBin, t.name), foundIn: 'tools-dir' });
    const fleet = path.join(bare, 'fleet');
    cpSync(fixturesFleet, fleet, { recursive: true });
    const rendered = path.join(bare, 'out');
    execFileSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), 'render', '--cwd', fleet, '--out', rendered, '--cluster', 'prod-eu-1'], { cwd: bare, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(readdirSync(path.join(rendered, 'prod-eu-1', 'manifests')).length).toBeGreaterThan(0);

    // `kiln check` after `npm install -g kiln` + `kiln tools install`: conftest and the Kubernetes
    // schema sets come with the install (here restored as a CI cache would leave them: no Go needed)
    expect(files).toEqual(expect.arrayContaining(['scripts/k8s-openapi.mjs', 'scripts/check-tools.txt']));
    const userTools = path.join(bare, 'tools');
    const conftest = realpathSync(which('conftest'));
    mkdirSync(path.join(userTools, `conftest-${pinOf('conftest')}`), { recursive: true });
    symlinkSync(conftest, path.join(userTools, `conftest-${pinOf('conftest')}`, 'conftest'));
    cpSync(path.join(path.dirname(toolsBin), 'k8s-openapi'), path.join(userTools, 'k8s-openapi'), { recursive: true, dereference: true });
    const userEnv = { ...env, KILN_TOOLS_DIR: userTools, PATH: [toolsBin, path.dirname(process.execPath), '/usr/bin', '/bin'].join(':') };
    const installed = JSON.parse(execFileSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), 'tools', 'install', 'conftest', 'k8s-openapi', '--json'], { cwd: bare, env: userEnv, encoding: 'utf8' })) as { installed: Array<{ name: string; built: boolean }> };
    expect(installed.installed.map((t) => [t.name, t.built])).toEqual([['conftest', false], ['k8s-openapi', false]]);
    expect(realpathSync(path.join(userTools, 'bin', 'conftest'))).toBe(conftest);
    // the render worker is built from the package's own copy of its source (Go is on this PATH)
    expect(files).toEqual(expect.arrayContaining(['scripts/build-render-worker.sh', 'tools/render-worker/main.go', 'tools/render-worker/go.mod', 'tools/render-worker/go.sum', 'tools/render-worker-kustomize/main.go', 'tools/worker-values/values.go', 'tools/worker-values/go.mod', 'tools/render-worker-kustomize/go.mod', 'tools/render-worker-kustomize/go.sum', 'tools/render-worker-helm/main.go', 'tools/render-worker-helm/worker.go', 'tools/render-worker-helm/capture.go', 'tools/render-worker-helm/go.mod', 'tools/render-worker-helm/go.sum']));
    const goBin = path.dirname(execFileSync('sh', ['-c', 'command -v go'], { encoding: 'utf8' }).trim());
    const worker = JSON.parse(
      execFileSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), 'tools', 'install', 'kiln-render-worker', 'kiln-render-worker-kustomize', '--json'], { cwd: bare, env: { ...userEnv, PATH: [goBin, userEnv.PATH].join(':') }, encoding: 'utf8' }),
    ) as { installed: Array<{ name: string; path: string }> };
    expect(worker.installed[0]!.path.startsWith(path.join(userTools, 'kiln-render-worker-'))).toBe(true);
    expect(realpathSync(path.join(userTools, 'bin', 'kiln-render-worker'))).toBe(worker.installed[0]!.path);
    // the kustomize worker builds from the package too: tools/worker-values, which it replaces by the local dir, is in it
    expect(worker.installed[1]!.path.startsWith(path.join(userTools, 'kiln-render-worker-kustomize-'))).toBe(true);
    expect(realpathSync(path.join(userTools, 'bin', 'kiln-render-worker-kustomize'))).toBe(worker.installed[1]!.path);
    // conftest is not on PATH (toolsBin holds the render tools only as far as this PATH goes): found in the tools dir
    const noConftestPath = tmp('kiln-path-');
    for (const t of ['helm', 'kustomize', 'jsonnet', 'ytt']) symlinkSync(realpathSync(which(t)), path.join(noConftestPath, t));
    const checked = spawnSync(process.execPath, [path.join(pkg, 'bin/kiln.js'), 'check', '--cwd', path.join(projectRoot, 'fixtures/checks'), '--json'], {
      cwd: bare,
      env: { ...userEnv, PATH: [noConftestPath, path.dirname(process.execPath), '/usr/bin', '/bin'].join(':') },
      encoding: 'utf8',
    });
    const report = JSON.parse(checked.stdout) as { clusters: Array<{ schemaSet?: string; findings: Array<{ check: string; message: string }> }> };
    expect(checked.status, checked.stderr).toBe(1); // the fixture's faults
    expect(report.clusters.filter((c) => c.schemaSet).length).toBeGreaterThan(1);
    expect(report.clusters.flatMap((c) => c.findings.map((f) => f.message)).join('\n')).not.toMatch(/no Kubernetes schemas are installed/);
    expect(report.clusters.flatMap((c) => c.findings.map((f) => f.check))).toEqual(expect.arrayContaining(['schema', 'api', 'policy']));
  });
});
