/**
 * The cluster keys (cluster-memo.ts) of one source commit, remembered across runs. Every input of a
 * cluster's key is in the commit a publish renders from (`git archive` into a snapshot: config,
 * profiles, values, charts, every file a component reads), or is kiln's code and the tool versions,
 * or is read from outside the repo (then the cluster has unpinned inputs and no key is kept). So for
 * one (commit, where the fleet sits in it, kiln, tools) each cluster's key is fixed, and a re-run of
 * that commit (a CI retry, a scheduled re-publish) reads it here instead of hashing every component's
 * inputs again: on a no-change publish of 1,000 clusters that hashing was a quarter of the run.
 *
 * Only a render of a commit snapshot has such keys: a work tree also holds ignored and untracked
 * files that renders read and no commit names.
 *
 * `<cache>/cluster-keys/<run key>.json`: `{ run, keys: { cluster: key } }`, written atomically (temp
 * file + rename) when a run learnt a key the file lacked; the newest KEEP files stay. Anything
 * unreadable or foreign is a miss; a file that cannot be written only costs speed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stableJson } from '../render/common.js';
import type { ToolSet } from '../render/renderer.js';
import { buildOf } from './cluster-memo.js';

const KEYS_LOGIC = 'kiln-cluster-keys/1';
const AREA = 'cluster-keys';
/** Commits remembered: a retry or re-run is of one of the last few. */
const KEEP = 8;
const KEY = /^[0-9a-f]{64}$/;

/** The commit a run renders from, and where its fleet sits in it (paths relative to the repo's top). */
export interface PinnedCommit {
  commit: string;
  /** The fleet root (kiln.yaml's directory). */
  root: string;
  /** kiln.yaml itself. */
  config: string;
}

export interface ClusterKeys {
  /** The cluster's key as a run of this same commit computed it, or undefined. */
  get(cluster: string): string | undefined;
  /** A key this run computed (render or lookup); kept by flush when new. */
  learn(cluster: string, key: string): void;
  /** Write what this run learnt; never throws. Idempotent. */
  flush(): void;
}

/** Everything a cluster key depends on besides the cluster's own plan, which the commit fixes. */
export function runKeyOf(pin: PinnedCommit, env: { kilnVersion: string; tools: ToolSet }): string {
  const material = {
    logic: KEYS_LOGIC,
    // exactly the build a cluster key covers: the keys of another build are never read
    ...buildOf(env),
    commit: pin.commit,
    root: pin.root.split(path.sep).join('/'),
    config: pin.config.split(path.sep).join('/'),
  };
  return createHash('sha256').update(stableJson(material)).digest('hex');
}

export function diskClusterKeys(cacheDir: string, runKey: string): ClusterKeys {
  const dir = path.join(cacheDir, AREA);
  const file = path.join(dir, `${runKey}.json`);
  let known: Map<string, string> | undefined;
  const learnt = new Map<string, string>();
  let flushed = false;

  const load = (): Map<string, string> => {
    if (known) return known;
    known = new Map();
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { run?: unknown; keys?: unknown };
      if (doc.run === runKey && doc.keys !== null && typeof doc.keys === 'object') {
        for (const [cluster, key] of Object.entries(doc.keys as Record<string, unknown>)) if (typeof key === 'string' && KEY.test(key)) known.set(cluster, key);
      }
    } catch {
      // a miss
    }
    return known;
  };

  return {
    get: (cluster) => learnt.get(cluster) ?? load().get(cluster),
    learn(cluster, key) {
      if (load().get(cluster) !== key) learnt.set(cluster, key);
    },
    flush() {
      if (flushed) return;
      flushed = true;
      try {
        if (!learnt.size) {
          // used: newest again, so the KEEP newest are the ones in use
          if (known?.size) utimesSync(file, new Date(), new Date());
          return;
        }
        mkdirSync(dir, { recursive: true });
        const keys = Object.fromEntries([...load(), ...learnt].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
        writeFileSync(tmp, JSON.stringify({ run: runKey, keys }));
        renameSync(tmp, file);
        prune(dir);
      } catch {
        // only costs speed
      }
    },
  };
}

/** Keep the newest KEEP files (a concurrent run's file removed here only costs that run's next re-run a hashing). */
function prune(dir: string): void {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      try {
        return [{ f, at: statSync(path.join(dir, f)).mtimeMs }];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.at - a.at);
  for (const { f } of files.slice(KEEP)) rmSync(path.join(dir, f), { force: true });
}
