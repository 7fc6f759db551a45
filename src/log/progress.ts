/**
 * What one command run is doing, on stderr: stages (plan, render, fetch, write, push) with their
 * counts, the tool processes running (the slowest named, with how long), and a timing summary.
 *
 * Live on a terminal (one status line redrawn in place; log lines print above it), plain lines in CI
 * (a stage's start and end, render counts at most every few seconds or every tenth): `live` is decided
 * by the caller (stderr a TTY, no NO_COLOR, TERM not dumb). Progress is info-level: quiet at warn and
 * above. One object per run (cli/context.ts makes it, render sessions and the publish engine hold it).
 */
import path from 'node:path';
import { argvForLog, redact } from './redact.js';

export interface ProgressOptions {
  /** Raw stderr (text as it is: lines end in \n, the live line is redrawn with escape codes). */
  write: (chunk: string) => void;
  live: boolean;
  /** false: no stage lines, no live line, no summary (log level warn and above). */
  enabled: boolean;
  /** Width of the terminal for the live line (default 100). */
  columns?: () => number | undefined;
  /** Plain mode: the longest silence while a stage runs, in ms (default 5000). */
  everyMs?: number;
  now?: () => number;
}

export interface Stage {
  /** Set the stage's count (e.g. clusters rendered of all). */
  count(done: number, total?: number): void;
  /** End the stage; `note` says what it did ("12 branches"). Idempotent. */
  end(note?: string): void;
}

interface OpenStage {
  name: string;
  unit: string;
  started: number;
  done: number;
  total?: number;
  lastLine: number;
  lastTenth: number;
  ended?: number;
  note?: string;
}

interface Running {
  tool: string;
  label?: string;
  started: number;
}

export interface ToolTotals {
  runs: number;
  ms: number;
  failed: number;
}

const SPIN = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class Progress {
  private readonly started: number;
  private readonly stages: OpenStage[] = [];
  private readonly running = new Set<Running>();
  private readonly toolPaths = new Map<string, string>();
  readonly tools = new Map<string, ToolTotals>();
  readonly cache = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private lastDraw = -Infinity;
  private frame = 0;
  private finished = false;
  /** Debug sink for tool runs (the logger's debug), set by whoever wires the logger. */
  debug: ((line: string) => void) | undefined;

  constructor(private readonly o: ProgressOptions) {
    this.started = this.now();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** A permanent line (the logger writes through here so the live line never tears it). */
  line(text: string): void {
    this.clear();
    this.o.write(text + '\n');
    this.draw();
  }

  /** Take the live line away (data is about to go to stdout, which may be the same terminal). */
  settle(): void {
    this.clear();
    this.lastDraw = this.now();
  }

  /** Tool names by binary path (helm3 counts as its name in the ToolSet, e.g. `helm`). */
  knowTools(tools: Record<string, { path: string } | undefined>): void {
    for (const [name, t] of Object.entries(tools)) if (t) this.toolPaths.set(t.path, name);
  }

  stage(name: string, opts: { total?: number; unit?: string } = {}): Stage {
    const now = this.now();
    const s: OpenStage = { name, unit: opts.unit ?? '', started: now, done: 0, total: opts.total, lastLine: now, lastTenth: 0 };
    this.stages.push(s);
    if (this.o.enabled && !this.o.live) this.plain(`${name}: started${opts.total !== undefined ? `, ${this.countOf(s)}` : ''}`);
    this.tick();
    this.draw();
    return {
      count: (done, total) => {
        if (s.ended !== undefined) return;
        s.done = done;
        if (total !== undefined) s.total = total;
        if (this.o.live && this.now() - this.lastDraw >= 50) this.draw(); // 10,000 clusters: not 10,000 redraws
        if (!this.o.enabled || this.o.live || s.total === undefined || s.total === 0 || done >= s.total) return;
        const tenth = Math.floor((done * 10) / s.total);
        if (tenth > s.lastTenth || this.now() - s.lastLine >= this.every()) {
          s.lastTenth = tenth;
          this.plainProgress(s);
        }
      },
      end: (note) => {
        if (s.ended !== undefined) return;
        s.ended = this.now();
        s.note = note;
        if (!this.o.enabled) return;
        const text = `${name}: done${note ? `, ${note}` : s.total !== undefined ? `, ${this.countOf(s)}` : ''} in ${secs(s.ended - s.started)}`;
        if (this.o.live) this.line(`✓ ${text}`);
        else this.plain(text);
      },
    };
  }

  /** A program started (exec/scope.ts's observer); the returned function is called once it exited. */
  toolStarted(command: string, args: string[], label?: string): (failed: boolean) => void {
    const tool = this.toolPaths.get(command) ?? path.basename(command);
    const r: Running = { tool, label, started: this.now() };
    this.running.add(r);
    this.tick();
    if (this.running.size === 1) this.draw(); // from idle to busy: shown at once, whatever the redraw pace
    return (failed) => {
      if (!this.running.delete(r)) return;
      const ms = this.now() - r.started;
      const t = this.tools.get(tool) ?? { runs: 0, ms: 0, failed: 0 };
      t.runs++;
      t.ms += ms;
      if (failed) t.failed++;
      this.tools.set(tool, t);
      this.debug?.(redact(`ran ${[command, ...argvForLog(args)].join(' ')}${label ? ` (${label})` : ''}: ${ms} ms${failed ? ', failed' : ''}`));
    };
  }

  /** A result taken from a cache instead of a tool run (`kind`: "render cache", "shared render", …). */
  cacheHit(kind: string): void {
    this.cache.set(kind, (this.cache.get(kind) ?? 0) + 1);
  }

  /** The timing summary: empty when nothing was staged (validate, ls). */
  summary(): string[] {
    if (this.stages.length === 0) return [];
    const end = this.now();
    const lines = [`timing: ${secs(end - this.started)} in all; ${this.stages.map((s) => `${s.name} ${secs((s.ended ?? end) - s.started)}`).join(', ')}`];
    if (this.tools.size) {
      const tools = [...this.tools].sort((a, b) => b[1].ms - a[1].ms).map(([n, t]) => `${n} ${t.runs} run(s) ${secs(t.ms)}${t.failed ? ` (${t.failed} failed)` : ''}`);
      lines.push(`tool processes: ${tools.join(', ')}`);
    } else lines.push('tool processes: none');
    const hits = [...this.cache].map(([k, n]) => `${n} ${k}`);
    lines.push(`cache: ${hits.length ? hits.join(', ') : 'no hits'}`);
    return lines;
  }

  /** End the run's display: open stages closed, the live line cleared, the summary printed (`summary`). */
  finish(opts: { summary: boolean }): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    if (opts.summary && this.o.enabled) for (const l of this.summary()) this.o.write(l + '\n');
  }

  private every(): number {
    return this.o.everyMs ?? 5000;
  }

  private countOf(s: OpenStage): string {
    return `${s.done}/${s.total ?? '?'}${s.unit ? ` ${s.unit}` : ''}`;
  }

  private slowest(): Running | undefined {
    let slow: Running | undefined;
    for (const r of this.running) if (!slow || r.started < slow.started) slow = r;
    return slow;
  }

  private runningText(): string {
    const slow = this.slowest();
    if (!slow) return '';
    const others = this.running.size - 1;
    return `${slow.tool}${slow.label ? ` ${slow.label}` : ''} running ${secs(this.now() - slow.started)}${others ? ` (+${others} more)` : ''}`;
  }

  private plainProgress(s: OpenStage): void {
    s.lastLine = this.now();
    const running = this.runningText();
    this.plain(`${s.name}: ${this.countOf(s)}${running ? `; ${running}` : ''}`);
  }

  private plain(text: string): void {
    this.o.write(redact(text) + '\n');
  }

  private current(): OpenStage | undefined {
    for (let i = this.stages.length - 1; i >= 0; i--) if (this.stages[i]!.ended === undefined) return this.stages[i];
    return undefined;
  }

  /** Keep the display moving: redraw the live line, or in plain mode speak up after a silence. */
  private tick(): void {
    if (!this.o.enabled || this.finished || this.timer) return;
    this.timer = setInterval(
      () => {
        const s = this.current();
        if (this.o.live) this.draw();
        else if (s && this.now() - s.lastLine >= this.every()) this.plainProgress(s);
      },
      this.o.live ? 120 : Math.min(1000, this.every()),
    );
    this.timer.unref();
  }

  private draw(): void {
    if (!this.o.live || !this.o.enabled || this.finished) return;
    const s = this.current();
    if (!s) return;
    this.frame = (this.frame + 1) % SPIN.length;
    const parts = [`${SPIN[this.frame]} ${s.name}${s.total !== undefined ? ` ${this.countOf(s)}` : ''} ${secs(this.now() - s.started)}`];
    const running = this.runningText();
    if (running) parts.push(running);
    const width = Math.max(20, (this.o.columns?.() ?? 100) - 1);
    const text = redact(parts.join(' · '));
    this.o.write(`\r\x1b[2K${text.length > width ? text.slice(0, width - 1) + '…' : text}`);
    this.shown = true;
    this.lastDraw = this.now();
  }

  private clear(): void {
    if (!this.shown) return;
    this.o.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** `1.2s`, `2m03s`. */
export function secs(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

/** Whether stderr gets the live display: a terminal that takes escape codes. */
export function liveTerminal(isTTY: boolean | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  // NO_COLOR counts when set to anything but the empty string (no-color.org)
  return Boolean(isTTY) && !env.NO_COLOR && env.TERM !== 'dumb';
}
