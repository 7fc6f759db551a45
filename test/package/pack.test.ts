import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesFleet, projectRoot } from '../helpers/fleet-repo.js';
import { tmp, which } from '../helpers/tools.js';

/** What `npm install kiln` gets: the packed files must be enough to run (dist, templates, schemas). */
describe('the published package', () => {
  it('runs from its tarball', () => {
    const dir = tmp('kiln-pack-');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const out = execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: projectRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [info] = JSON.parse(out) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('bin/kiln.js');
    expect(files).toContain('dist/cli/main.js');
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
  });
});
