import { appendFile, readFile } from 'node:fs/promises';
import { COMMENT_LIMIT, DIFF_MARKER } from '../diff/markdown.js';
import { ExitCode, KilnError, type ExitCodeValue } from '../errors.js';
import { redact } from '../log/redact.js';
import type { CommentResult, ForgeKind, Scm } from '../scm/scm.js';
import { diff, type DiffOptions, type DiffResult } from '../diff/produce.js';
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
}

export interface CommentRunResult {
  forge: ForgeKind;
  number: number;
  comment: CommentResult;
  chars: number;
  truncated: boolean;
  outFile?: string;
  stepSummary?: string;
  diff?: DiffResult['report']['totals'];
  exitCode: ExitCodeValue;
}

/** `kiln comment`: one sticky comment per PR/MR, found again by its hidden marker and updated in place. */
export async function comment(g: GlobalOptions, opts: CommentOptions, deps: { scm: Scm; diff?: typeof diff }): Promise<CommentRunResult> {
  let body: string;
  let d: DiffResult | undefined;
  if (opts.bodyFile) {
    body = await readFile(opts.bodyFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new KilnError(`cannot read --body-file ${opts.bodyFile}: ${e.code ?? e.message}`);
    });
  } else {
    d = await (deps.diff ?? diff)(g, opts.diff);
    body = d.markdown.text;
  }
  body = redact(body.includes(DIFF_MARKER) ? body : `${DIFF_MARKER}\n${body}`);
  let truncated = d?.markdown.truncated ?? false;
  if (body.length > COMMENT_LIMIT) {
    const note = '\n\n> [!NOTE]\n> Cut to fit the forge\'s comment size limit.\n';
    body = body.slice(0, COMMENT_LIMIT - note.length) + note;
    truncated = true;
  }
  const result = await deps.scm.upsertComment(opts.number, DIFF_MARKER, body);
  g.logger.info(`${result.action} ${deps.scm.kind === 'github' ? 'comment' : 'note'} ${result.id} on ${deps.scm.kind === 'github' ? '#' : '!'}${opts.number}`);
  if (opts.stepSummary) await appendFile(opts.stepSummary, body + '\n');
  return {
    forge: deps.scm.kind,
    number: opts.number,
    comment: result,
    chars: body.length,
    truncated,
    ...(d?.outFile ? { outFile: d.outFile } : {}),
    ...(opts.stepSummary ? { stepSummary: opts.stepSummary } : {}),
    ...(d ? { diff: d.report.totals } : {}),
    exitCode: d?.exitCode ?? ExitCode.ok,
  };
}

export function formatComment(r: CommentRunResult): string {
  const where = `${r.forge === 'github' ? 'PR #' : 'MR !'}${r.number}`;
  const lines = [`${r.comment.action} the kiln diff comment on ${where}${r.comment.url ? `: ${r.comment.url}` : ''} (${r.chars} characters${r.truncated ? ', details cut' : ''})`];
  if (r.outFile) lines.push(`full diff: ${r.outFile}`);
  return lines.join('\n');
}
