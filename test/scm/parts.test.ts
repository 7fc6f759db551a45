/** A diff too big for one comment: numbered parts, kept in step with the PR as the diff grows and shrinks (local GitHub API). */
import { describe, expect, it } from 'vitest';
import { COMMENT_LIMIT, DIFF_MARKER } from '../../src/diff/markdown.js';
import { formatParts, PART_MARKER_RE, partMarker } from '../../src/diff/parts.js';
import { syncStickyComments } from '../../src/scm/sticky.js';
import { bigReport } from './big-diff.js';
import { useFakeGitHub } from './fake-github.js';

const TOKEN = 'ghs_fakeTokenForKilnTests0123456789abcd';
const post = (bodies: string[]) => bodies.map((body, i) => ({ marker: partMarker(i + 1), body }));

describe('formatParts', () => {
  it('a 300,000-character diff: summary and whole groups in part 1, the rest in numbered parts, every group once, each under the limit', () => {
    const r = bigReport(60, 5_000);
    const { parts, shownGroups, cut } = formatParts(r, { limit: COMMENT_LIMIT, maxParts: 10 });
    const total = parts.reduce((n, p) => n + p.length, 0);
    expect(total).toBeGreaterThan(300_000);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    expect(shownGroups).toBe(60);
    expect(cut).toBe(false);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(parts[0]!.startsWith(DIFF_MARKER)).toBe(true);
    expect(parts[0]).toContain('### kiln diff:');
    expect(parts[0]).toContain(`_Part 1/${parts.length}: the diff continues in the next ${parts.length - 1} comments._`);
    parts.slice(1).forEach((p, i) => expect(p.startsWith(`<!-- kiln:diff part=${i + 2} -->\n### kiln diff, part ${i + 2}/${parts.length}\n`)).toBe(true));
    // whole groups: every <details> opened in a part is closed there, each group shown exactly once
    for (const p of parts) expect(p.match(/<details>/g)?.length).toBe(p.match(/<\/details>/g)?.length);
    const titles = parts.join('\n').match(/<summary><b>c-\d+<\/b>/g)!;
    expect(titles).toHaveLength(60);
    expect(new Set(titles).size).toBe(60);
  });

  it('beyond the cap: the last part names what is left out and links the artifact', () => {
    const { parts, shownGroups, cut } = formatParts(bigReport(60, 5_000), { limit: COMMENT_LIMIT, maxParts: 2, outFile: 'kiln-diff.md', artifactUrl: 'https://ci.example/run/7' });
    expect(parts).toHaveLength(2);
    expect(cut).toBe(true);
    expect(parts[1]).toContain(`${60 - shownGroups} of 60 groups not shown. The full diff is in \`kiln-diff.md\``);
    expect(parts[1]).toContain('> Artifacts: https://ci.example/run/7');
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(COMMENT_LIMIT);
  });

  it('a small diff is one comment, with no part footer', () => {
    const { parts } = formatParts(bigReport(2, 1_000), { limit: COMMENT_LIMIT, maxParts: 10 });
    expect(parts).toHaveLength(1);
    expect(parts[0]).not.toContain('Part 1/');
  });
});

describe('sticky parts on GitHub', () => {
  const f = useFakeGitHub(TOKEN);

  it('split, then shrunk on the next push: part 1 updated in place, parts no longer needed deleted, others untouched', async () => {
    f.gh.comments.push({ id: 1, issue: 7, body: 'LGTM', user: 'alice' });
    const big = formatParts(bigReport(60, 5_000), { limit: COMMENT_LIMIT, maxParts: 10 }).parts;
    const first = await syncStickyComments(f.scm, 7, post(big), PART_MARKER_RE);
    expect(first.parts.map((p) => p.action)).toEqual(big.map(() => 'created'));
    expect(f.gh.comments.filter((c) => c.issue === 7).map((c) => c.body)).toEqual(['LGTM', ...big]);
    f.gh.comments.push({ id: 2, issue: 7, body: 'a reply between pushes', user: 'bob' });

    // the next push: a smaller diff
    const small = formatParts(bigReport(15, 5_000), { limit: COMMENT_LIMIT, maxParts: 10 }).parts;
    expect(small.length).toBeLessThan(big.length);
    expect(small.length).toBeGreaterThan(1);
    f.gh.requests.length = 0;
    const second = await syncStickyComments(f.scm, 7, post(small), PART_MARKER_RE);
    expect(second.parts.map((p) => p.id)).toEqual(first.parts.slice(0, small.length).map((p) => p.id));
    expect(second.deleted).toEqual(first.parts.slice(small.length).map((p) => p.id));
    expect(f.gh.comments.map((c) => c.body)).toEqual(['LGTM', ...small, 'a reply between pushes']);
    expect(f.gh.requests.filter((r) => r.method === 'DELETE')).toHaveLength(big.length - small.length);
    expect(f.gh.requests.filter((r) => r.method === 'POST')).toHaveLength(0);

    // the same diff again: nothing written
    f.gh.requests.length = 0;
    const third = await syncStickyComments(f.scm, 7, post(small), PART_MARKER_RE);
    expect(third.parts.every((p) => p.action === 'unchanged')).toBe(true);
    expect(f.gh.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    // back to one comment: every follow-up part goes
    const one = formatParts(bigReport(1, 1_000), { limit: COMMENT_LIMIT, maxParts: 10 }).parts;
    const fourth = await syncStickyComments(f.scm, 7, post(one), PART_MARKER_RE);
    expect(fourth.parts).toEqual([expect.objectContaining({ id: first.parts[0]!.id, action: 'updated' })]);
    expect(f.gh.comments.map((c) => c.body)).toEqual(['LGTM', ...one, 'a reply between pushes']);
  });
});
