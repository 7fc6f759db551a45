/**
 * A re-run of one source commit takes its cluster keys from the commit's earlier run instead of
 * hashing every component's inputs again — and only a render of that commit does: a work tree
 * (--allow-dirty) or another commit computes them. Real tools behind counting wrappers, real git.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diskClusterKeys, runKeyOf, type PinnedCommit } from '../../src/fleet/cluster-keys.js';
import { kiln } from '../helpers/cli.js';
import { showFile, type FleetRepo } from '../helpers/fleet-repo.js';
import { memoFleet, type MemoFleet } from '../helpers/memo-fleet.js';
import type { ToolCalls } from '../helpers/tool-calls.js';

let base: string;
let repo: FleetRepo;
let tools: ToolCalls;
let fleet: MemoFleet;
const HPA = 'manifests/gateway/gateway--horizontalpodautoscaler--gateway.yaml';
const REMEMBERED = 'cluster keys (an earlier run of this commit)';

async function publish(...extra: string[]): Promise<{ stderr: string; actions: Record<string, string> }> {
  const r = await kiln('publish', '--cwd', repo.fleet, '--json', '--log-level', 'info', ...extra);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { branches: Array<{ branch: string; action: string }> };
  return { stderr: r.stderr, actions: Object.fromEntries(out.branches.map((b) => [b.branch, b.action])) };
}

const count = (actions: Record<string, string>, a: string) => Object.values(actions).filter((x) => x === a).length;
const keysDir = () => path.join(process.env.KILN_CACHE_DIR!, 'cluster-keys');
const keyFiles = () => readdirSync(keysDir()).filter((f) => f.endsWith('.json'));

beforeAll(async () => {
  fleet = await memoFleet('kiln-keys-test-', 6);
  ({ base, repo, tools } = fleet);
});

afterAll(() => fleet.cleanup());

describe('cluster keys of a commit', () => {
  it('the first publish of a commit keeps its keys; a re-run reads every one of them and renders nothing', async () => {
    const first = await publish();
    expect(count(first.actions, 'created')).toBe(6);
    expect(first.stderr).not.toContain(REMEMBERED);
    expect(keyFiles()).toHaveLength(1);
    tools.take();
    const again = await publish();
    expect(count(again.actions, 'unchanged')).toBe(6);
    expect(again.stderr).toContain(`6 ${REMEMBERED}`);
    expect(tools.take().any).toBe(0);
  });

  it('the keys read are the ones used: a wrong key in the file makes its cluster render (and the file is mended)', async () => {
    const file = path.join(keysDir(), keyFiles()[0]!);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { run: string; keys: Record<string, string> };
    const [victim] = Object.keys(doc.keys);
    writeFileSync(file, JSON.stringify({ ...doc, keys: { ...doc.keys, [victim!]: '0'.repeat(64) } }));
    const r = await publish();
    expect(count(r.actions, 'unchanged')).toBe(6); // rendered again (its components from the render cache), to the same content
    expect(r.stderr).toContain('5 branch(es) already hold what their clusters render (remembered renders); rendering 1 cluster(s)');
    expect((JSON.parse(readFileSync(file, 'utf8')) as typeof doc).keys).toEqual(doc.keys);
    const mended = await publish();
    expect(mended.stderr).toContain('6 branch(es) already hold what their clusters render (remembered renders); rendering 0 cluster(s)');
    expect(tools.take().any).toBe(0);
  });

  it('--allow-dirty renders the work tree: the commit\'s keys do not stand in for an uncommitted change', async () => {
    const values = path.join(repo.fleet, 'values/gateway/prod.yaml');
    const before = readFileSync(values, 'utf8');
    writeFileSync(values, before.replace('maxReplicas: 30', 'maxReplicas: 43'));
    try {
      const { actions, stderr } = await publish('--allow-dirty');
      expect(stderr).not.toContain(REMEMBERED);
      const prod = Object.keys(actions).filter((b) => b.includes('/prod/'));
      expect(prod.length).toBeGreaterThan(0);
      for (const b of prod) {
        expect(actions[b]).toBe('updated');
        expect(showFile(repo.remote, b, HPA)).toContain('maxReplicas: 43');
      }
    } finally {
      writeFileSync(values, before);
      tools.take();
    }
  });

  it('a new commit computes its own keys: its change renders', async () => {
    const values = path.join(repo.fleet, 'values/gateway/prod.yaml');
    writeFileSync(values, readFileSync(values, 'utf8').replace('maxReplicas: 30', 'maxReplicas: 44'));
    repo.commit('prod gateway maxReplicas 44');
    const { actions, stderr } = await publish();
    expect(stderr).not.toContain(REMEMBERED);
    const prod = Object.keys(actions).filter((b) => b.includes('/prod/'));
    for (const b of prod) expect(showFile(repo.remote, b, HPA)).toContain('maxReplicas: 44');
    expect(keyFiles()).toHaveLength(2);
    tools.take();
    expect((await publish()).stderr).toContain(`6 ${REMEMBERED}`);
    expect(tools.take().any).toBe(0);
  });
});

describe('cluster keys store', () => {
  const pin: PinnedCommit = { commit: 'a'.repeat(40), root: 'fleet', config: 'fleet/kiln.yaml' };
  const env = { kilnVersion: '1.0.0', tools: { helm: { name: 'helm' as const, path: '/x/helm', version: 'v3.22.0' } } };

  it('the run key changes with the commit, the fleet\'s place in it, kiln and each tool version', () => {
    const key = runKeyOf(pin, env);
    expect(runKeyOf({ ...pin }, { ...env })).toBe(key);
    expect(runKeyOf({ ...pin, commit: 'b'.repeat(40) }, env)).not.toBe(key);
    expect(runKeyOf({ ...pin, root: '.' }, env)).not.toBe(key);
    expect(runKeyOf({ ...pin, config: 'fleet/other.yaml' }, env)).not.toBe(key);
    expect(runKeyOf(pin, { ...env, kilnVersion: '1.0.1' })).not.toBe(key);
    expect(runKeyOf(pin, { ...env, tools: { helm: { ...env.tools.helm, version: 'v3.22.1' } } })).not.toBe(key);
    expect(runKeyOf(pin, { ...env, tools: { ...env.tools, kustomize: { name: 'kustomize' as const, path: '/x/k', version: 'v5.8.2' } } })).not.toBe(key);
  });

  it('round trip; a file that only repeats what it holds is not rewritten; corrupt, foreign or malformed is a miss', () => {
    const dir = mkdtempSync(path.join(base, 'unit-'));
    const run = 'c'.repeat(64);
    const k1 = '1'.repeat(64);
    const keys = diskClusterKeys(dir, run);
    expect(keys.get('a')).toBeUndefined();
    keys.learn('a', k1);
    expect(keys.get('a')).toBe(k1);
    keys.flush();
    const file = path.join(dir, 'cluster-keys', `${run}.json`);
    expect(diskClusterKeys(dir, run).get('a')).toBe(k1);
    expect(diskClusterKeys(dir, 'd'.repeat(64)).get('a')).toBeUndefined();
    // learning the same key again writes nothing (a hit refreshes the file's time only)
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(file, old, old);
    const text = readFileSync(file, 'utf8');
    const again = diskClusterKeys(dir, run);
    again.learn('a', k1);
    again.flush();
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(statSync(file).mtimeMs).toBeGreaterThan(old.getTime() + 1000);
    // a file naming another run, a malformed key, a file that is not JSON
    writeFileSync(file, JSON.stringify({ run: 'e'.repeat(64), keys: { a: k1 } }));
    expect(diskClusterKeys(dir, run).get('a')).toBeUndefined();
    writeFileSync(file, JSON.stringify({ run, keys: { a: 'not-a-key', b: k1 } }));
    expect(diskClusterKeys(dir, run).get('a')).toBeUndefined();
    expect(diskClusterKeys(dir, run).get('b')).toBe(k1);
    writeFileSync(file, '{ not json');
    expect(diskClusterKeys(dir, run).get('b')).toBeUndefined();
  });

  it('keeps the newest 8 commits', () => {
    const dir = mkdtempSync(path.join(base, 'unit-'));
    const runs = Array.from({ length: 11 }, (_, i) => i.toString(16).padStart(64, '0'));
    runs.forEach((run, i) => {
      const keys = diskClusterKeys(dir, run);
      keys.learn('a', 'f'.repeat(64));
      keys.flush();
      const at = new Date(Date.now() - (100 - i) * 60_000);
      utimesSync(path.join(dir, 'cluster-keys', `${run}.json`), at, at);
    });
    // the last flush pruned before its own time was set back: one more write settles it
    const last = diskClusterKeys(dir, 'f'.repeat(64));
    last.learn('a', 'f'.repeat(64));
    last.flush();
    const left = readdirSync(path.join(dir, 'cluster-keys')).sort();
    expect(left).toEqual([...runs.slice(-7), 'f'.repeat(64)].map((r) => `${r}.json`).sort());
  });
});
