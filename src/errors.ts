/** Exit codes are a contract (design §3). */
export const ExitCode = {
  ok: 0,
  user: 1,
  diffFound: 2,
  gateRefused: 3,
  conflict: 4,
  internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in the user's input a problem is; rendered as `file:line:col`. */
export interface SourcePos {
  /** Path relative to the fleet root where possible. */
  file: string;
  line?: number;
  col?: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  if (!pos) return '';
  let s = pos.file;
  if (pos.line !== undefined) s += `:${pos.line}`;
  if (pos.line !== undefined && pos.col !== undefined) s += `:${pos.col}`;
  return s;
}

/**
 * An error the user can fix. Printed as one line (plus optional hint) without a stack trace.
 * `field` is the dotted path inside the document (e.g. `spec.components[0].helm.chart`).
 */
export class KilnError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly pos: SourcePos | undefined;
  readonly field: string | undefined;
  readonly hint: string | undefined;

  constructor(
    message: string,
    opts: { pos?: SourcePos; field?: string; hint?: string; exitCode?: ExitCodeValue; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'KilnError';
    this.exitCode = opts.exitCode ?? ExitCode.user;
    this.pos = opts.pos;
    this.field = opts.field;
    this.hint = opts.hint;
  }

  /** `file:line:col: field: message (hint)` on one line. */
  oneLine(): string {
    const parts: string[] = [];
    const where = formatPos(this.pos);
    if (where) parts.push(where);
    if (this.field) parts.push(this.field);
    parts.push(this.message);
    let line = parts.join(': ');
    if (this.hint) line += ` (${this.hint})`;
    return line.replace(/\s*\n\s*/g, ' ');
  }
}

/** Several user errors at once (config validation reports all it finds). */
export class KilnErrors extends KilnError {
  readonly errors: KilnError[];
  constructor(errors: KilnError[]) {
    super(`${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors[0]?.oneLine() ?? ''}`);
    this.name = 'KilnErrors';
    this.errors = errors;
  }
}

export function isKilnError(e: unknown): e is KilnError {
  return e instanceof KilnError;
}
