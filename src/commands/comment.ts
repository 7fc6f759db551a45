import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { COMMENT_LIMIT, DIFF_MARKER } from '../diff/markdown.js';
import { DEFAULT_MAX_PARTS, formatParts, PART_MARKER_RE, partMarker } from '../diff/parts.js';
import { ExitCode, KilnError, type ExitCodeValue } from '../errors.js';
import { redact } from '../log/redact.js';
import type { CommentResult, ForgeKind, Scm } from '../scm/scm.js';
import { syncStickyComments, type StickyResult } from '../scm/sticky.js';
import { diffReport, tempDiffFile, writeFullDiff, type DiffOptions } from '../diff/produce.js';
import type { DiffReport } from '../diff/model.js';
import type { GlobalOptions } from './options.js';

export interface CommentOptions {
  /** The PR/MR number (from the CI environment or --pr). */
  number: number;
  /** Post this markdown instead of computing the diff. */
  bodyFile?: string;
  /** The diff to post when there is no body file. */
  diff: DiffOptions;
  /** Also append the body to this file ($GITHUB_STEP_SUMMARY). */
  stepSummary?: string;
  /** Comments the diff may take, the sticky one included (default 10); beyond, the artifact. */
  maxComments?: number;
  /** The CI run/job page holding the full diff as an artifact, linked when groups are left out. */
  artifactUrl?: string;
}

export interface CommentRunResult {
  forge: ForgeKind;
  number: number;
  /** Part 1, the sticky comment. */
  comment: CommentResult;
  /** Every part (1 = the sticky comment) and follow-ups deleted because the diff shrank. */
  parts: StickyResult['parts'];
  deletedParts: string[];
  /** Characters of all parts. */
  chars: number;
  truncated: boolean;
  outFile?: string;
  stepSummary?: string;
  diff?: DiffReport['totals'];
  exitCode: ExitCodeValue;
}

/** `kiln comment`: one sticky comment per PR/MR, found again by its hidden marker and updated in place. */
export async function comment(g: GlobalOptions, opts: CommentOptions, deps: { scm: Scm; report?: typeof diffReport }): Promise<CommentRunResult> {
  const maxParts = opts.maxComments ?? DEFAULT_MAX_PARTS;
  if (!Number.isInteger(maxParts) || maxParts < 1 || maxParts > 100) throw new KilnError(`--max-comments ${String(opts.maxComments)} must be a whole number from 1 to 100`);
  let bodies: string[];
  let d: { report: DiffReport; exitCode: ExitCodeValue } | undefined;
  let outFile: string | undefined;
  let truncated = false;
  if (opts.bodyFile) {
    let body = await readFile(opts.bodyFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new KilnError(`cannot read --body-file ${opts.bodyFile}: ${e.code ?? e.message}`);
    });
    body = redact(body.includes(DIFF_MARKER) ? body : `${DIFF_MARKER}\n${body}`);
    if (body.length > COMMENT_LIMIT) {
      const note = '\n\n> [!NOTE]\n> Cut to fit the forge\'s comment size limit.\n';
      body = body.slice(0, COMMENT_LIMIT - note.length) + note;
      truncated = true;
    }
    bodies = [body];
  } else {
    // the report alone: the parts decide what is cut, not the one-comment markdown `kiln diff` prints
    d = await (deps.report ?? diffReport)(g, opts.diff);
    const limit = Math.min(opts.diff.maxChars || COMMENT_LIMIT, COMMENT_LIMIT);
    const parts = (file?: string) => formatParts(d!.report, { limit, maxParts, outFile: file && path.basename(file), artifactUrl: opts.artifactUrl });
    outFile = opts.diff.outFile !== undefined ? path.resolve(opts.diff.outFile) : undefined;
    let split = parts(outFile);
    if (split.cut && !outFile) split = parts((outFile = await tempDiffFile()));
    if (outFile) await writeFullDiff(d.report, outFile);
    if (split.cut) g.logger.warn(`the diff does not fit in ${maxParts} comment(s) of ${limit} characters: details are cut; the full diff is in ${outFile}`);
    bodies = split.parts.map((b) => redact(b));
    truncated = split.cut;
  }
  const sync = await syncStickyComments(deps.scm, opts.number, bodies.map((body, i) => ({ marker: partMarker(i + 1), body })), PART_MARKER_RE);
  const where = `${deps.scm.kind === 'github' ? '#' : '!'}${opts.number}`;
  const noun = deps.scm.kind === 'github' ? 'comment' : 'note';
  for (const p of sync.parts) g.logger.info(`${p.action} ${noun} ${p.id} on ${where}${sync.parts.length > 1 ? ` (part ${p.part}/${sync.parts.length})` : ''}`);
  if (sync.deleted.length) g.logger.info(`deleted ${sync.deleted.length} ${noun}(s) on ${where} left from a longer diff`);
  if (opts.stepSummary) await appendFile(opts.stepSummary, bodies.join('\n') + '\n');
  return {
    forge: deps.scm.kind,
    number: opts.number,
    comment: sync.parts[0]!,
    parts: sync.parts,
    deletedParts: sync.deleted,
    chars: bodies.reduce((n, b) => n + b.length, 0),
    truncated,
    ...(outFile ? { outFile } : {}),
    ...(opts.stepSummary ? { stepSummary: opts.stepSummary } : {}),
    ...(d ? { diff: d.report.totals } : {}),
    exitCode: d?.exitCode ?? ExitCode.ok,
  };
}

export function formatComment(r: CommentRunResult): string {
  const where = `${r.forge === 'github' ? 'PR #' : 'MR !'}${r.number}`;
  const lines = [`${r.comment.action} the kiln diff comment on ${where}${r.comment.url ? `: ${r.comment.url}` : ''} (${r.chars} characters${r.parts.length > 1 ? ` in ${r.parts.length} comments` : ''}${r.truncated ? ', details cut' : ''})`];
  for (const p of r.parts.slice(1)) lines.push(`${p.action} part ${p.part}/${r.parts.length}${p.url ? `: ${p.url}` : ` (${p.id})`}`);
  if (r.deletedParts.length) lines.push(`deleted ${r.deletedParts.length} part(s) left from a longer diff`);
  if (r.outFile) lines.push(`full diff: ${r.outFile}`);
  return lines.join('\n');
}
