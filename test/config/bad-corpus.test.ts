/**
 * Every case under fixtures/bad/config/ is a tiny fleet with one mistake. Loading it (and templating every
 * selected profile for every cluster) must fail with exactly one KilnError that names file:line, is a
 * single line, and contains each expected substring; anything else is a crash or a cascade.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { KilnError, KilnErrors } from '../../src/errors.js';
import { resolveProfile } from '../../src/fleet/resolve.js';
import { selects } from '../../src/fleet/selector.js';
import { projectRoot } from '../helpers/fleet-repo.js';

const corpus = path.join(projectRoot, 'fixtures/bad/config');
const cases = readdirSync(corpus).sort();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kiln-bad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Expect {
  error: string[];
  file: string;
  line?: number;
  /** Made by the test, not committed: a symlink leading out of the repo. */
  symlink?: { path: string; target: string };
  /** Made by the test, not committed: a file of this many bytes. */
  generate?: { file: string; bytes: number };
}

async function run(dir: string): Promise<unknown> {
  try {
    const { config } = await loadConfig({ cwd: dir });
    for (const c of config.clusters) for (const p of config.profiles) if (selects(p, c)) resolveProfile(p, c, config);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('bad config corpus', () => {
  it('has at least 25 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)('%s', async (name) => {
    const exp = parse(readFileSync(path.join(corpus, name, 'expect.yaml'), 'utf8')) as Expect;
    const dir = path.join(tmp, name);
    cpSync(path.join(corpus, name), dir, { recursive: true, filter: (src) => path.basename(src) !== 'expect.yaml' });
    if (exp.symlink) symlinkSync(exp.symlink.target, path.join(dir, exp.symlink.path));
    if (exp.generate) {
      const line = '# padding padding padding padding padding padding padding padding padding\n';
      writeFileSync(path.join(dir, exp.generate.file), line.repeat(Math.ceil(exp.generate.bytes / line.length)));
    }
    const e = await run(dir);
    expect(e, 'must fail').toBeDefined();
    if (!(e instanceof KilnError)) throw new Error(`crash instead of a KilnError: ${String((e as Error)?.stack ?? e)}`);
    const lines = e instanceof KilnErrors ? e.errors.map((x) => x.oneLine()) : [e.oneLine()];
    expect(lines, 'exactly one error (no cascades)').toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toContain('\n');
    const where = exp.line === undefined ? `${exp.file}: ` : `${exp.file}:${exp.line}:`;
    expect(line.startsWith(where), `"${line}" starts with ${where}`).toBe(true);
    for (const s of exp.error) expect(line).toContain(s);
  });
});
