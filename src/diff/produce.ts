/** The diff `kiln diff` prints and `kiln comment` posts: computed, masked, formatted (commands import it from here). */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createParsedFiles } from './compare.js';
import { computeDiff } from './run.js';
import { DEFAULT_IGNORES, parseIgnore } from './ignore.js';
import { COMMENT_LIMIT, formatMarkdown, type Markdown } from './markdown.js';
import { createMasker, type Masker } from './mask.js';
import type { DiffReport } from './model.js';
import { ExitCode, KilnError, type ExitCodeValue } from '../errors.js';
import type { Selection } from '../fleet/plan.js';
import { redact } from '../log/redact.js';
import type { GlobalOptions } from '../options.js';

export interface DiffOptions extends Selection {
  /** A ref of the fleet repo to compare against (default: the published branches on `remote`). */
  base?: string;
  /** A ref to render as the new side (default: the work tree). */
  head?: string;
  remote: string;
  /** Extra `--ignore` field patterns (syntax in src/diff/ignore.ts). */
  ignore: string[];
  /** false: drop the built-in ignores (Helm chart label, checksum annotations). */
  defaultIgnores: boolean;
  /** Characters the markdown may have (default 65,536; 0: no limit). */
  maxChars?: number;
  /** Where the full markdown goes; written when given, or when the markdown was cut (default: kiln-diff.md in a new temp dir). */
  outFile?: string;
  exitCode: boolean;
  /** Skip the checks of the head side (`--no-check`). */
  noCheck?: boolean;
}

export interface DiffResult {
  report: DiffReport;
  markdown: Markdown;
  /** Absolute path of the full markdown, when written. */
  outFile?: string;
  exitCode: ExitCodeValue;
}

/** The file name the full diff gets when no --out-file is given (inside a new temp dir, never the repo). */
export const DEFAULT_OUT_FILE = 'kiln-diff.md';

/** The report and the exit code it gives, before any formatting (`kiln comment` formats it in parts). */
export async function diffReport(g: GlobalOptions, opts: DiffOptions, deps: { masker?: Masker } = {}): Promise<{ report: DiffReport; exitCode: ExitCodeValue }> {
  const maxChars = opts.maxChars ?? COMMENT_LIMIT;
  if (!Number.isInteger(maxChars) || maxChars < 0 || (maxChars > 0 && maxChars < 2_000)) {
    throw new KilnError(`--max-chars ${String(opts.maxChars)} must be 0 (no limit) or a whole number ≥ 2000`);
  }
  const patterns = [...(opts.defaultIgnores ? DEFAULT_IGNORES : []), ...opts.ignore];
  const ignore = patterns.map(parseIgnore);
  const report = await computeDiff(g, { sel: opts, base: opts.base, head: opts.head, remote: opts.remote, noCheck: opts.noCheck }, { ignore, patterns, masker: deps.masker ?? createMasker(), parsed: createParsedFiles() });
  const exitCode = opts.exitCode && report.totals.changedClusters > 0 ? ExitCode.diffFound : ExitCode.ok;
  return { report, exitCode };
}

/**
 * Where a cut diff's full markdown goes without --out-file: a new directory under the CI runner's
 * temp dir (`RUNNER_TEMP`) or the system's, so it never lands in the fleet repo (where it would
 * make the work tree dirty, or be committed by accident).
 */
export async function tempDiffFile(env = process.env): Promise<string> {
  const dir = await mkdtemp(path.join(env.RUNNER_TEMP || os.tmpdir(), 'kiln-diff-'));
  return path.join(dir, DEFAULT_OUT_FILE);
}

/** Write the whole report as markdown (no limit), secrets redacted. */
export async function writeFullDiff(report: DiffReport, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, redact(formatMarkdown(report).text) + '\n');
}

/** `kiln diff`: object-level diff per cluster, clusters with equal diffs grouped, secrets masked. */
export async function diff(g: GlobalOptions, opts: DiffOptions, deps: { masker?: Masker } = {}): Promise<DiffResult> {
  const { report, exitCode } = await diffReport(g, opts, deps);
  const maxChars = opts.maxChars ?? COMMENT_LIMIT;
  let outFile = opts.outFile !== undefined ? path.resolve(opts.outFile) : undefined;
  // registered secret values (allowed Secrets, tokens) are masked in every text kiln writes
  let markdown = formatMarkdown(report, { limit: maxChars || Infinity, outFile: outFile ?? DEFAULT_OUT_FILE });
  if (markdown.truncated && !outFile) {
    outFile = await tempDiffFile();
    markdown = formatMarkdown(report, { limit: maxChars || Infinity, outFile });
  }
  markdown.text = redact(markdown.text);
  if (outFile) {
    await writeFullDiff(report, outFile);
    if (markdown.truncated) g.logger.warn(`the diff is over ${maxChars} characters: details are cut; the full diff is in ${outFile}`);
  }
  return { report, markdown, ...(outFile ? { outFile } : {}), exitCode };
}

/** The JSON form: the report, secrets redacted like the markdown. */
export function diffJson(r: DiffResult): unknown {
  return JSON.parse(redact(JSON.stringify(r.report)));
}

export function formatDiff(r: DiffResult): string {
  return r.markdown.text.trimEnd();
}
