/**
 * A diff too big for one PR/MR comment, split into numbered parts: the summary and as many whole
 * groups as fit in the sticky comment, the rest in follow-up comments (`part 2/5`), up to a cap; what
 * the cap leaves out is named with a pointer to the full diff (the pipeline's artifact).
 */
import { fill, loadTemplate } from '../util/text-template.js';
import { DIFF_MARKER, groupSection, summary } from './markdown.js';
import type { DiffGroup, DiffReport } from './model.js';

/** Follow-up comments a diff may take, the sticky one included (beyond: the artifact). */
export const DEFAULT_MAX_PARTS = 10;

/** The hidden marker of part `n` (n ≥ 2); part 1 is the sticky comment with DIFF_MARKER. */
export const partMarker = (n: number): string => (n === 1 ? DIFF_MARKER : `<!-- kiln:diff part=${n} -->`);
/** Finds follow-up parts of any number (stale ones are deleted). */
export const PART_MARKER_RE = /<!-- kiln:diff part=(\d+) -->/;

export interface PartsOptions {
  /** Characters one comment may have. */
  limit: number;
  /** Comments at most, the sticky one included. */
  maxParts: number;
  /** The full diff's file, named when groups are left out. */
  outFile?: string;
  /** Where the pipeline's artifacts are (a CI run or job page), linked when groups are left out. */
  artifactUrl?: string;
}

export interface Parts {
  /** Comment bodies, part 1 first; each starts with its marker. */
  parts: string[];
  /** Groups shown in full across the parts. */
  shownGroups: number;
  /** Groups shown cut (a group bigger than one comment) or left out by the cap. */
  cut: boolean;
}

// "<!-- kiln:diff part=10 -->\n### kiln diff, part 10/10\n\n" and the part-1 footer stay below this
const HEADER_RESERVE = 120;

export function formatParts(r: DiffReport, opts: PartsOptions): Parts {
  const omittedNote = (omitted: number) =>
    fill(loadTemplate('diff-truncated.md'), { limit: opts.limit.toLocaleString('en-US'), omitted: `${omitted} of ${r.groups.length} groups not shown`, file: opts.outFile ?? 'kiln-diff.md' }) +
    (opts.artifactUrl ? `> Artifacts: ${opts.artifactUrl}\n` : '');
  const reserve = omittedNote(r.groups.length).length + HEADER_RESERVE;
  const room = opts.limit - reserve;
  let head = summary(r, 200);
  if (head.length > room / 2) head = summary(r, 40);
  let cut = false;
  const sections = r.groups.map((g) => {
    const s = fitGroup(g, room);
    cut ||= s.cut;
    return s.text;
  });
  const bodies: string[][] = [[head]];
  let size = head.length;
  let shown = 0;
  for (const s of sections) {
    if (size + 1 + s.length > room) {
      if (bodies.length >= opts.maxParts) break;
      bodies.push([]);
      size = 0;
    }
    bodies[bodies.length - 1]!.push(s);
    size += 1 + s.length;
    shown++;
  }
  const n = bodies.length;
  const parts = bodies.map((b, i) => {
    const marker = partMarker(i + 1);
    const text = i === 0 ? b.join('\n') : `${marker}\n### kiln diff, part ${i + 1}/${n}\n\n${b.join('\n')}`;
    return n > 1 && i === 0 ? `${text}\n_Part 1/${n}: the diff continues in the next ${n - 1 === 1 ? 'comment' : `${n - 1} comments`}._\n` : text;
  });
  if (shown < r.groups.length) {
    cut = true;
    parts[n - 1] += '\n' + omittedNote(r.groups.length - shown);
  }
  return { parts, shownGroups: shown, cut };
}

/** A group's section; one too big for a comment shows its first objects and says how many it leaves out. */
function fitGroup(g: DiffGroup, room: number): { text: string; cut: boolean } {
  const full = groupSection(g, true);
  if (full.length <= room) return { text: full, cut: false };
  let keep = g.objects.length - 1;
  for (; keep > 0; keep--) {
    const text = groupSection({ ...g, objects: g.objects.slice(0, keep) }, true) + more(g.objects.length - keep);
    if (text.length <= room) return { text, cut: true };
  }
  // a single object bigger than a comment: the title and counts only
  return { text: groupSection({ ...g, objects: [] }, true) + more(g.objects.length), cut: true };
}

const more = (n: number) => `\n_${n} more object${n === 1 ? '' : 's'} of this group in the full diff._\n`;
