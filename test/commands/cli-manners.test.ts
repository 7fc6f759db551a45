/** Command-line manners: a usage error is one line and where to read more; typos named; numbers checked; global options in each help. */
import { describe, expect, it } from 'vitest';
import { kiln } from '../helpers/cli.js';

describe('usage errors', () => {
  it('an unknown option is named as such (not "--out is missing"), in a line or two and a pointer to the help', async () => {
    const r = await kiln('render', '--outdir', 'x');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: unknown option '--outdir'\n/);
    expect(r.stderr).toMatch(/see kiln render --help\n$/);
    expect(r.stderr).not.toContain('Usage:');
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
  });
  it('a missing required option is still named when nothing else is wrong', async () => {
    const r = await kiln('promote');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: required option '--to <env>' not specified\nsee kiln promote --help\n");
  });
  it('numeric options are validated and named', async () => {
    for (const [args, name] of [[['diff', '--max-chars', 'abc'], '--max-chars <n>'], [['comment', '--max-comments', '0'], '--max-comments <n>'], [['diff', '--max-chars', '12x'], '--max-chars <n>']] as const) {
      const r = await kiln(...args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`error: option '${name}' argument`);
      expect(r.stderr).not.toContain('NaN');
      expect(r.stderr).not.toContain('Usage:');
    }
  });
  it("each subcommand's help lists the global options", async () => {
    const r = await kiln('render', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Global Options:[\s\S]*--cwd <dir>[\s\S]*--log-level <level>/);
  });
});
