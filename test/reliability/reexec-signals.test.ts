/**
 * bin/kiln.js under a Node older than 22 re-runs itself under the tools dir's Node and passes on
 * the signals it gets. Here it runs under the old Node setup installs for this test (never whatever
 * the machine happens to have), with KILN_TOOLS_DIR's bin/node the Node running the tests; a render
 * or publish is interrupted while a tool is certainly running (a jsonnet that hangs, after it said it
 * started): the wrapper exits 130/143 with kiln's one line, the newer Node it started and every program
 * below it are gone, TMPDIR is empty and the remote is untouched.
 *
 * SIGINT goes to the wrapper's process group (a terminal's Ctrl-C), SIGTERM to the wrapper alone (a
 * CI runner cancelling the job): the child has its own group, so either way only the wrapper's
 * forwarding can reach it.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitIn, makeFleetRepo, remoteBranches, type FleetRepo } from '../helpers/fleet-repo.js';
import { kilnBin, spawnKiln } from '../helpers/spawn.js';
import { tmp } from '../helpers/tools.js';
import { writeFiles } from '../security/fleet.js';

const base = tmp('kiln-reexec-');
const toolsDir = process.env.KILN_TOOLS_DIR || path.join(os.homedir(), '.cache', 'kiln-tools');

/** The old Node scripts/setup.sh installs (OLD_NODE_VERSION) for this test. */
function oldNode(): string {
  const setup = readFileSync(path.join(kilnBin, '../../scripts/setup.sh'), 'utf8');
  const version = /^OLD_NODE_VERSION="([^"]+)"/m.exec(setup)?.[1];
  expect(version, 'OLD_NODE_VERSION in scripts/setup.sh').toBeDefined();
  const node = path.join(toolsDir, `node-${version}`, 'node_modules', 'node', 'bin', 'node');
  expect(existsSync(node), `${node}: run the tests through npm test (scripts/setup.sh installs it)`).toBe(true);
  return node;
}

const profile = (name: string, spec: string) => `apiVersion: kiln.dev/v1alpha1\nkind: Profile\nmetadata:\n  name: ${name}\nspec:\n  clusterSelector: {}\n  namespace: ${name}\n  components:\n${spec}`;
const FLEET: Record<string, string> = {
  'kiln.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Fleet\nmetadata:\n  name: reexec\nspec:\n  environments:\n    - name: dev\n',
  'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
  'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  who: {{ .Values.who | quote }}\n',
  'profiles/web.yaml': profile('web', '    - name: web\n      helm:\n        chart: charts/web\n        values:\n          who: "{{ .Cluster.name }}"\n'),
  'profiles/gen.yaml': profile('gen', '    - name: gen\n      jsonnet:\n        file: gen.jsonnet\n'),
  'gen.jsonnet': '{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "gen" }, data: { n: "1" } }\n',
  'clusters/a.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: a\nspec:\n  environment: dev\n  kubeVersion: "1.31.4"\n',
  'clusters/b.yaml': 'apiVersion: kiln.dev/v1alpha1\nkind: Cluster\nmetadata:\n  name: b\nspec:\n  environment: dev\n  kubeVersion: "1.31.4"\n',
};

let repo: FleetRepo;
let node20: string;
let tools: string;
let hangs: string;
let published: Map<string, string>;

beforeAll(async () => {
  node20 = oldNode();
  // the tools dir the wrapper looks in: its bin/node is the Node 24 running these tests (the render
  // tools come from PATH, as under npm test)
  tools = path.join(base, 'tools');
  mkdirSync(path.join(tools, 'bin'), { recursive: true });
  symlinkSync(process.execPath, path.join(tools, 'bin', 'node'));
  // a jsonnet that says it started (beside its TMPDIR, which must end empty) and then hangs, with a
  // child holding its stdout open
  hangs = path.join(base, 'jsonnet-hangs');
  writeFiles(base, { 'jsonnet-hangs': '#!/bin/sh\ncase "$1" in version|--version) echo "v0.22.0"; exit 0;; esac\n: > "$TMPDIR.started"\nsleep 60 &\nwait\n' });
  chmodSync(hangs, 0o755);
  writeFiles(path.join(base, 'src'), FLEET);
  repo = makeFleetRepo(path.join(base, 'src'));
  const first = await spawnKiln(['publish', '--cwd', repo.fleet], { TMPDIR: mkdirp(path.join(base, 'tmp-setup')), KILN_CACHE_DIR: path.join(base, 'cache') }).done;
  expect(first.code, first.stderr).toBe(0);
  // a change for the interrupted publish to (not) publish
  writeFiles(repo.fleet, { 'gen.jsonnet': FLEET['gen.jsonnet']!.replace('"1"', '"2"') });
  repo.commit('a change to interrupt');
  published = remoteBranches(repo.remote);
  expect([...published.keys()].sort()).toEqual(['rendered/dev/a', 'rendered/dev/b']);
}, 120_000);
afterAll(() => {
  repo?.cleanup();
  rmSync(base, { recursive: true, force: true });
});

function mkdirp(d: string): string {
  mkdirSync(d, { recursive: true });
  return d;
}

/** Live processes whose environment holds `TMPDIR=<dir>`: kiln and every program it ran (they all get TMPDIR). */
function processesWithTmpDir(dir: string): Array<{ pid: number; exe: string; ppid: number }> {
  const out: Array<{ pid: number; exe: string; ppid: number }> = [];
  for (const p of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`TMPDIR=${dir}`)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      out.push({ pid: Number(p), exe: readlinkSync(`/proc/${p}/exe`), ppid: Number(ppid) });
    } catch {
      /* gone meanwhile, or not ours */
    }
  }
  return out;
}

async function until(what: string, ok: () => boolean, stderr: () => string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not happen within 30 s; stderr: ${stderr()}`);
}

async function interruptUnderOldNode(args: string[], sig: 'SIGINT' | 'SIGTERM', name: string) {
  const tmpDir = mkdirp(path.join(base, `tmp-${name}`));
  const { KILN_REEXEC: _, ...env } = process.env;
  const child = spawn(node20, [kilnBin, '--cwd', repo.fleet, ...args], {
    env: { ...env, KILN_TOOLS_DIR: tools, KILN_JSONNET: hangs, TMPDIR: tmpDir, KILN_CACHE_DIR: path.join(base, `cache-${name}`) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  // 'exit', not 'close': a child left running would hold the pipes open
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const closed = new Promise((resolve) => child.on('close', resolve));
  // the moment: the hanging jsonnet has started, so a render is certainly in flight
  await until('the jsonnet run', () => existsSync(`${tmpDir}.started`), () => stderr);
  const tree = processesWithTmpDir(tmpDir);
  const newer = tree.find((p) => p.ppid === child.pid);
  // the wrapper is the old Node, and what it started is the tools dir's Node running kiln
  expect(readlinkSync(`/proc/${child.pid}/exe`)).toBe(realpathSync(node20));
  expect(newer?.exe, 'a child of the wrapper running the tools dir\'s Node').toBe(realpathSync(path.join(tools, 'bin', 'node')));
  // a terminal's Ctrl-C reaches the wrapper's group, a CI cancel the wrapper alone
  process.kill(sig === 'SIGINT' ? -child.pid! : child.pid!, sig);
  const r = await Promise.race([exited, sleep(30_000).then(() => undefined)]);
  // what is still running a while after the wrapper exited is left behind: named, then killed
  let left = processesWithTmpDir(tmpDir);
  for (let i = 0; i < 100 && left.length; i++) left = (await sleep(50), processesWithTmpDir(tmpDir));
  for (const p of left) process.kill(p.pid, 'SIGKILL');
  await Promise.race([closed, sleep(2_000)]);
  return { code: r?.code, signal: r?.signal, exited: r !== undefined, stderr, tmpDir, tree, left };
}

describe('bin/kiln.js under Node 20: signals reach the kiln it re-runs under Node 24', () => {
  const cases: Array<{ cmd: 'render' | 'publish'; sig: 'SIGINT' | 'SIGTERM' }> = [
    { cmd: 'render', sig: 'SIGINT' },
    { cmd: 'render', sig: 'SIGTERM' },
    { cmd: 'publish', sig: 'SIGINT' },
    { cmd: 'publish', sig: 'SIGTERM' },
  ];
  for (const { cmd, sig } of cases) {
    it(`${cmd}, ${sig} while a tool runs: exit ${sig === 'SIGINT' ? 130 : 143}, every process gone, TMPDIR empty, the remote untouched`, async () => {
      const args = cmd === 'render' ? ['render', '--out', path.join(base, 'out')] : ['publish'];
      const o = await interruptUnderOldNode(args, sig, `${cmd}-${sig}`);
      expect(o.exited, `the wrapper still running 30 s after ${sig}; stderr: ${o.stderr}`).toBe(true);
      expect(o.code, o.stderr).toBe(sig === 'SIGINT' ? 130 : 143);
      expect(o.stderr).not.toMatch(/internal error|this is a bug|EPIPE|\n\s+at /);
      // kiln's own line, printed once (by the child; the wrapper adds nothing)
      const lines = o.stderr.trim().split('\n');
      expect(lines.at(-1), o.stderr).toMatch(new RegExp(`^interrupted by ${sig}`));
      expect(lines.filter((l) => l.startsWith('interrupted by'))).toHaveLength(1);
      // the Node 24 kiln, the jsonnet and its sleep: none outlives the wrapper
      expect(o.tree.length, 'processes seen while the render ran').toBeGreaterThanOrEqual(3);
      expect(o.left, 'processes left running after the wrapper exited').toEqual([]);
      expect(readdirSync(o.tmpDir), 'scratch left behind').toEqual([]);
      expect(remoteBranches(repo.remote)).toEqual(published);
      gitIn(repo.remote, 'fsck', '--no-progress');
    }, 60_000);
  }
});
