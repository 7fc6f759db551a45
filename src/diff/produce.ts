/** The diff `kiln diff` prints and `kiln comment` posts: computed, masked, formatted (commands import it from here). */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
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
  /** Where the full markdown goes; written when given, or when the markdown was cut (default kiln-diff.md). */
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

export const DEFAULT_OUT_FILE = 'kiln-diff.md';

/** `kiln diff`: object-level diff per cluster, clusters with equal diffs grouped, secrets masked. */
export async function diff(g: GlobalOptions, opts: DiffOptions, deps: { masker?: Masker } = {}): Promise<DiffResult> {
  const patterns = [...(opts.defaultIgnores ? DEFAULT_IGNORES : []), ...opts.ignore];
  const ignore = patterns.map(parseIgnore);
  const maxChars = opts.maxChars ?? COMMENT_LIMIT;
  if (!Number.isInteger(maxChars) || maxChars < 0 || (maxChars > 0 && maxChars < 2_000)) {
    throw new KilnError(`--max-chars ${String(opts.maxChars)} must be 0 (no limit) or a whole number ≥ 2000`);
  }
  const report = await computeDiff(g, { sel: opts, base: opts.base, head: opts.head, remote: opts.remote, noCheck: opts.noCheck }, { ignore, patterns, masker: deps.masker ?? createMasker() });
  const outName = opts.outFile ?? DEFAULT_OUT_FILE;
  // registered secret values (allowed Secrets, tokens) are masked in every text kiln writes
  const markdown = formatMarkdown(report, { limit: maxChars || Infinity, outFile: outName });
  markdown.text = redact(markdown.text);
  let outFile: string | undefined;
  if (opts.outFile !== undefined || markdown.truncated) {
    outFile = path.resolve(outName);
    await mkdir(path.dirname(outFile), { recursive: true });
    await writeFile(outFile, redact(formatMarkdown(report).text) + '\n');
    if (markdown.truncated) g.logger.warn(`the diff is over ${maxChars} characters: details are cut; the full diff is in ${outFile}`);
  }
  const exitCode = opts.exitCode && report.totals.changedClusters > 0 ? ExitCode.diffFound : ExitCode.ok;
  return { report, markdown, ...(outFile ? { outFile } : {}), exitCode };
}

/** The JSON form: the report, secrets redacted like the markdown. */
export function diffJson(r: DiffResult): unknown {
  return JSON.parse(redact(JSON.stringify(r.report)));
}

export function formatDiff(r: DiffResult): string {
  return r.markdown.text.trimEnd();
}
