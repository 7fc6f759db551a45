/** Plain user mistakes get a sentence and exit 1, never "internal error" (exit 70) or a git command line. */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kiln, withoutProgress } from '../helpers/cli.js';
import { fixturesFleet, makeFleetRepo } from '../helpers/fleet-repo.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'kiln-user-errors-'));
const plain = path.join(base, 'fleet'); // the fleet, but not a git repository
cpSync(fixturesFleet, plain, { recursive: true });
const repo = makeFleetRepo();
afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  repo.cleanup();
});

function plainError(r: { code: number; stderr: string }): string {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).not.toMatch(/internal error|this is a bug|\n\s+at |`git /);
  return withoutProgress(r.stderr); // the stages that ran before the error may be named above it
}

describe('plain user errors', () => {
  it('render --out <a file> says so before rendering', async () => {
    const file = path.join(base, 'afile');
    writeFileSync(file, 'x');
    expect(plainError(await kiln('render', '--cwd', plain, '--out', file))).toBe(`error: --out ${file} is a file, not a directory (pass a directory (it is created when missing))\n`);
  });

  it.each([['status'], ['report', '--out', path.join(base, 'site')], ['diff', '--base', 'HEAD']])('%s outside a git repository names the directory', async (...args) => {
    expect(plainError(await kiln(...args, '--cwd', plain))).toBe(`error: ${plain} is not inside a git repository: this command reads the fleet repo's history (run it in a clone of the fleet repo, or point --cwd at one)\n`);
  });

  it('diff against published branches outside a git repository says why there is no remote', async () => {
    expect(plainError(await kiln('diff', '--cwd', plain))).toMatch(/is not inside a git repository, so --remote "origin" names no remote/);
  });

  it.each([['--base'], ['--head']])('a missing ref for %s is named', async (flag) => {
    const other = flag === '--base' ? '--head' : '--base';
    expect(plainError(await kiln('diff', '--cwd', repo.fleet, flag, 'no-such-ref', other, 'HEAD'))).toMatch(/^error: "no-such-ref" is not a commit of the fleet repo/);
  });
});
