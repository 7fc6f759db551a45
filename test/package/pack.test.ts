import { execFileSync } from 'node:child_process';
import { readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixturesFleet, projectRoot } from '../helpers/fleet-repo.js';
import { tmp } from '../helpers/tools.js';

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
  });
});
