/** Real git repos in temp dirs for tests: a fleet repo (from a fixture dir) and a bare remote. */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesFleet = path.join(projectRoot, 'fixtures/fleet');

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_CONFIG_NOSYSTEM: '1' };

export function sh(cwd: string, cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { cwd, env: GIT_ENV, encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function gitIn(cwd: string, ...args: string[]): string {
  return sh(cwd, 'git', args).trim();
}

export interface FleetRepo {
  dir: string;
  fleet: string;
  remote: string;
  commit(message: string): string;
  cleanup(): void;
}

/** A temp dir with `fleet/` (a git repo holding a copy of `from`) and `remote.git` (bare, its origin). */
export function makeFleetRepo(from: string = fixturesFleet): FleetRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kiln-test-'));
  const fleet = path.join(dir, 'fleet');
  const remote = path.join(dir, 'remote.git');
  cpSync(from, fleet, { recursive: true });
  gitIn(dir, 'init', '--quiet', '--bare', remote);
  gitIn(fleet, 'init', '--quiet', '-b', 'main');
  gitIn(fleet, 'remote', 'add', 'origin', remote);
  const commit = (message: string) => {
    gitIn(fleet, 'add', '-A');
    gitIn(fleet, 'commit', '--quiet', '--allow-empty', '-m', message);
    // stands for a push (publish refuses unpushed source commits): pushing main to remote.git would
    // add a branch to every count of rendered branches; test/publish/history.test.ts pushes for real
    gitIn(fleet, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
    return gitIn(fleet, 'rev-parse', 'HEAD');
  };
  commit('initial fleet');
  return { dir, fleet, remote, commit, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function remoteBranches(remote: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of gitIn(remote, 'for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads').split('\n')) {
    const [sha, ref] = line.split(' ');
    if (sha && ref) out.set(ref.replace('refs/heads/', ''), sha);
  }
  return out;
}

export function branchFiles(remote: string, branch: string): string[] {
  return gitIn(remote, 'ls-tree', '-r', '--name-only', branch).split('\n').filter(Boolean);
}

export function showFile(remote: string, branch: string, file: string): string {
  return sh(remote, 'git', ['show', `${branch}:${file}`]);
}

export function writeFile(root: string, rel: string, content: string): void {
  writeFileSync(path.join(root, rel), content);
}

/** Every file under `dir`, path (posix, relative) → content, in sorted order. */
export function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(path.relative(dir, p).split(path.sep).join('/'), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return files;
}
