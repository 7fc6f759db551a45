/** Exit codes are a contract (design §3). */
export const ExitCode = {
  ok: 0,
  user: 1,
  diffFound: 2,
  gateRefused: 3,
  conflict: 4,
  internal: 70,
  /** 128 + the signal's number, as a shell reports a program killed by it. */
  interrupted: 130,
  terminated: 143,
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

/** A warning as text: `file:line:col: message`, the position as the JSON forms carry it. */
export function warningLine(w: { message: string; pos?: SourcePos }): string {
  const where = formatPos(w.pos);
  return where ? `${where}: ${w.message}` : w.message;
}

/** A user error as data (`validate --json`): where, which field, what, the fix. */
export function errorJson(e: KilnError): { file?: string; line?: number; col?: number; field?: string; message: string; hint?: string } {
  return { ...(e.pos ? { file: e.pos.file, line: e.pos.line, col: e.pos.col } : {}), ...(e.field ? { field: e.field } : {}), message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
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
    super(`${errors.length} error${errors.length === 1 ? '' : 's'}: ${errors[0]?.oneLine() ?? ''}`, { exitCode: errors[0]?.exitCode });
    this.name = 'KilnErrors';
    this.errors = errors;
  }
}

export function isKilnError(e: unknown): e is KilnError {
  return e instanceof KilnError;
}

/**
 * The run was interrupted (SIGINT → exit 130, SIGTERM → 143). `done` says what was and was not
 * done (published, pushed) when the command knows; the CLI prints it as the one line.
 */
export class InterruptedError extends KilnError {
  readonly signal: 'SIGINT' | 'SIGTERM';
  /** What was and was not done, when the command knows (a command wrapping another's says more). */
  readonly done?: string;
  constructor(signal: 'SIGINT' | 'SIGTERM', done?: string) {
    super(`interrupted by ${signal}${done ? `: ${done}` : ''}`, { exitCode: signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated });
    this.name = 'InterruptedError';
    this.signal = signal;
    this.done = done;
  }
}

/** Groups of the same error shown at most; the rest are counted. */
export const ERROR_CAP = 20;
/** Cluster names shown per group. */
const NAMES_SHOWN = 5;

/**
 * Errors of many clusters, for the user fixing a fleet: the same error (up to the cluster's own name)
 * once, with the count and the first few names (`… (in 500 clusters: dev-1, dev-2, …)`), distinct
 * errors each, in the order they first happened, up to `cap`. One error stays itself.
 */
export function errorsByCluster(failures: Array<{ cluster: string; error: KilnError }>, cap = ERROR_CAP): KilnError {
  type Group = { error: KilnError; clusters: string[] };
  const groups = new Map<string, Group>();
  // clusters sharing one failed render share its error object, which names the cluster that ran it
  const byObject = new Map<KilnError, Group>();
  for (const f of failures) {
    const key = withoutCluster(f.error.oneLine(), f.cluster, '\0');
    const g = byObject.get(f.error) ?? groups.get(key);
    if (g) g.clusters.push(f.cluster);
    else {
      const fresh = { error: f.error, clusters: [f.cluster] };
      groups.set(key, fresh);
      byObject.set(f.error, fresh);
    }
  }
  const all = [...groups.values()];
  const shown = all.slice(0, cap).map((g) => {
    if (g.clusters.length === 1) return g.error;
    const names = [...g.clusters].sort(naturally);
    const list = names.slice(0, NAMES_SHOWN).join(', ') + (names.length > NAMES_SHOWN ? ', …' : '');
    const e = g.error;
    const message = [...new Set(g.clusters)].reduce((m, c) => withoutCluster(m, c, ''), e.message);
    return new KilnError(`${message} (in ${names.length} clusters: ${list})`, { pos: e.pos, field: e.field, hint: e.hint, exitCode: e.exitCode, cause: e });
  });
  if (all.length > cap) {
    const rest = all.slice(cap).reduce((n, g) => n + g.clusters.length, 0);
    shown.push(new KilnError(`${all.length - cap} more distinct errors in ${rest} cluster(s) not shown`, { hint: 'fix the ones above and run again' }));
  }
  return shown.length === 1 ? shown[0]! : new KilnErrors(shown);
}

/** The message with the cluster's own name taken out, so the same error of two clusters compares equal. */
function withoutCluster(message: string, cluster: string, mark: string): string {
  const c = `cluster "${cluster}"`;
  if (mark) return message.split(c).join(`cluster "${mark}"`);
  return message.split(`, ${c}`).join('').split(` on ${c}`).join('').split(` for ${c}`).join('').split(c).join('clusters');
}

/** dev-2 before dev-10. */
function naturally(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
