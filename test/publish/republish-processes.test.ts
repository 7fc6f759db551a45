import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';
import { makeFleetRepo, projectRoot, type FleetRepo } from '../helpers/fleet-repo.js';
import { genFleetDir } from '../helpers/gen-fleet.js';
import { spawnKiln } from '../helpers/spawn.js';

// A no-change re-publish must cost a handful of git processes, not some per branch: at 1,000
// clusters one `cat-file` per unchanged head took 3.5 of 4.9 s (spawned from kiln's main thread).
describe('a no-change re-publish', () => {
  let repo: FleetRepo;
  let log: string;
  const savedPath = process.env.PATH;
  beforeAll(() => {
    repo = makeFleetRepo(genFleetDir({ clusters: 30 }));
    const bin = mkdtempSync(path.join(repo.dir, 'bin-'));
    log = path.join(repo.dir, 'git-calls.log');
    const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin, 'git'), `#!/bin/sh\necho "$*" >> "${log}"\nexec "${real}" "$@"\n`);
    chmodSync(path.join(bin, 'git'), 0o755);
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
  });
  afterAll(() => {
    process.env.PATH = savedPath;
    repo.cleanup();
  });
  const calls = () => {
    let lines: string[] = [];
    try {
      lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    } catch {}
    rmSync(log, { force: true });
    return lines;
  };

  it('reads the heads of all branches in one batch, whether they carry its source commit or not', async () => {
    calls();
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0);
    expect(calls().some((l) => / push /.test(` ${l} `))).toBe(true); // the shim is the git kiln runs
    // same source commit: every head already names it
    const r = await kiln('publish', '--cwd', repo.fleet, '--json', '--log-level', 'debug');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).branches.every((b: { action: string }) => b.action === 'unchanged')).toBe(true);
    // the config files as the last publish parsed them (same bytes): none parsed again
    expect(r.stderr).toMatch(/config: [1-9]\d* file\(s\) from the parse cache, 0 parsed/);
    const again = calls();
    const count = (re: RegExp) => again.filter((l) => re.test(` ${l} `)).length;
    // every head is known up to date from commit facts: nothing fetched, read, written or noted
    expect(count(/ cat-file /), again.join('\n')).toBe(0);
    expect(count(/ fast-import /), again.join('\n')).toBe(0);
    expect(count(/ fetch /), again.join('\n')).toBe(0);
    // what the source commit is, asked once (not again for the snapshot); its id and subject in one question
    for (const q of [/ log -1 --format=%H%n%s HEAD /, / symbolic-ref -q HEAD /, / config --get remote\.origin\.url /]) expect(count(q), `${q}\n${again.join('\n')}`).toBe(1);
    expect(count(/ rev-parse HEAD /), again.join('\n')).toBe(0);
    // a fixed set (source checks, archive, ls-remote), none per branch
    expect(again.length, again.join('\n')).toBeLessThanOrEqual(15);
    // a new source commit that changes no rendered byte: every head needs a note, still one batch
    writeFileSync(path.join(repo.fleet, 'NOTES.md'), 'docs only\n');
    repo.commit('a commit that changes no render');
    calls();
    const n = await kiln('publish', '--cwd', repo.fleet);
    expect(n.code, n.stderr).toBe(0);
    const noted = calls();
    expect(noted.filter((l) => / cat-file /.test(` ${l} `)).length, noted.join('\n')).toBeLessThanOrEqual(4);
  });

  it('kiln status lists no tree per branch: its report is the same from a fixed set of git calls', async () => {
    expect((await kiln('publish', '--cwd', repo.fleet)).code).toBe(0); // (unchanged when the test above ran)
    calls();
    const r = await kiln('status', '--cwd', repo.fleet, '--json');
    expect(r.code, r.stderr).toBe(0);
    const envs = JSON.parse(r.stdout).environments as Array<{ clusters: Array<{ sourceCommit?: string; behind?: number }> }>;
    const clusters = envs.flatMap((e) => e.clusters);
    expect(clusters).toHaveLength(30);
    // every head's source commit is known (from its trailer, or the note publish added)
    expect(clusters.every((c) => /^[0-9a-f]{40}$/.test(c.sourceCommit ?? '') && c.behind === 0), JSON.stringify(clusters.slice(0, 2))).toBe(true);
    const seen = calls();
    // one ls-tree per head was most of status at 1,000 clusters
    expect(seen.filter((l) => / ls-tree /.test(` ${l} `)), seen.join('\n')).toEqual([]);
    expect(seen.length, seen.join('\n')).toBeLessThan(30);
  });

  it('the built CLI loads no module it does not use: execa only for a program started directly, ajv only to validate a parsed file, the line diff only for a dry run', async () => {
    const hook = path.join(repo.dir, 'count-modules.mjs');
    const mods = path.join(repo.dir, 'modules.log');
    writeFileSync(
      hook,
      `import { registerHooks } from 'node:module';\nimport { appendFileSync } from 'node:fs';\n` +
        `registerHooks({ load(url, ctx, next) { if (url.startsWith('file:')) appendFileSync(${JSON.stringify(mods)}, url + '\\n'); return next(url, ctx); } });\n`,
    );
    // a remote of its own, so every head carries this source commit (no notes to read); the built kiln
    // is another build than the tests' (its own remembered renders): the first run publishes and warms them
    const remote = path.join(repo.dir, 'modules-remote.git');
    execFileSync('git', ['init', '-q', '--bare', remote]);
    const warm = await spawnKiln(['publish', '--cwd', repo.fleet, '--remote', remote]).done;
    expect(warm.code, warm.stderr).toBe(0);
    rmSync(mods, { force: true });
    const r = await spawnKiln(['publish', '--cwd', repo.fleet, '--remote', remote], { NODE_OPTIONS: `--import ${hook}` }).done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/0 created, 0 updated, 30 unchanged/);
    const urls = readFileSync(mods, 'utf8').split('\n').filter(Boolean);
    // the CLI runs from the bundle: each chunk loaded stands for the modules scripts/bundle.mjs put in it
    const chunks = JSON.parse(readFileSync(path.join(projectRoot, 'dist/bundle/chunks.json'), 'utf8')) as Record<string, string[]>;
    const bundled = urls.filter((u) => u.includes('/dist/bundle/'));
    expect(bundled.length, urls.join('\n')).toBeGreaterThan(0);
    expect(bundled.every((u) => chunks[path.basename(u)]), bundled.join('\n')).toBe(true);
    const loaded = [...urls.filter((u) => !u.includes('/dist/bundle/')), ...bundled.flatMap((u) => chunks[path.basename(u)]!.map((m) => `/${m}`))];
    expect(loaded.some((u) => u.includes('/dist/commands/publish.js'))).toBe(true); // the hook saw kiln's modules
    expect(loaded.filter((u) => u.includes('/node_modules/execa/'))).toEqual([]);
    // no other command's module (diff, promote, report, …): the CLI imports a command when it runs
    expect(loaded.filter((u) => /\/dist\/commands\/(?!publish\.js$)/.test(u))).toEqual([]);
    // every config file comes from the parse cache: nothing to validate, so no ajv (~60 modules)
    expect(loaded.filter((u) => u.includes('/node_modules/ajv/'))).toEqual([]);
    // the line diff is a dry run's (and kiln diff's) alone; of semver only the functions kiln calls
    expect(loaded.filter((u) => u.includes('/node_modules/diff/') || /\/dist\/diff\/(compare|branch-diff|markdown)\.js$/.test(u))).toEqual([]);
    expect(loaded.filter((u) => /\/node_modules\/semver\/(index|preload)\.js$/.test(u))).toEqual([]);
  });
});
