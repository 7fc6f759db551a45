/**
 * kiln only reads the user's repo: its `git status` must not refresh (and so lock and rewrite) the
 * user's index, or a `git add` the user or CI runs meanwhile fails on index.lock.
 */
import { readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceInfo } from '../../src/git/source.js';
import { gitIn, makeFleetRepo, type FleetRepo } from '../helpers/fleet-repo.js';

let repo: FleetRepo;
const index = () => path.join(repo.fleet, '.git/index');
/** Make every index entry stale (same content, new mtime): a plain `git status` rewrites the index. */
function staleIndex(): void {
  for (const f of gitIn(repo.fleet, 'ls-files').split('\n')) utimesSync(path.join(repo.fleet, f), new Date(1e12), new Date(1e12));
  utimesSync(index(), new Date(9e11), new Date(9e11));
}

beforeAll(() => {
  repo = makeFleetRepo();
  repo.commit('fleet');
});
afterAll(() => repo.cleanup());

describe("the user's index", () => {
  it('a plain git status rewrites a stale index (the case below is real)', () => {
    staleIndex();
    const before = statSync(index()).mtimeMs;
    gitIn(repo.fleet, 'status', '--porcelain');
    expect(statSync(index()).mtimeMs).not.toBe(before);
  });

  it("kiln's source check leaves it untouched and still sees the tree clean", async () => {
    staleIndex();
    const [bytes, mtime] = [readFileSync(index()), statSync(index()).mtimeMs];
    const info = await sourceInfo(repo.fleet);
    expect(info.dirty).toBe(false);
    expect(statSync(index()).mtimeMs).toBe(mtime);
    expect(readFileSync(index()).equals(bytes)).toBe(true);
  });
});
