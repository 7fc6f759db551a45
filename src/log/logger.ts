/** One logger: progress and messages on stderr (redacted), data on stdout via `out`. */
import { redact } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  level: LogLevel;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A progress line; rate-limited so 10,000 clusters don't flood CI logs. */
  progress(msg: string, done: number, total: number): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
  /** Milliseconds between progress lines (the last one always prints). */
  progressEveryMs?: number;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
  const every = opts.progressEveryMs ?? 2000;
  let lastProgress = 0;
  const logger: Logger = {
    level: opts.level ?? 'info',
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    progress(msg, done, total) {
      if (ORDER[logger.level] > ORDER.info) return;
      const now = Date.now();
      if (done < total && now - lastProgress < every) return;
      lastProgress = now;
      write(redact(`${msg} ${done}/${total}`));
    },
  };
  function emit(level: Exclude<LogLevel, 'silent'>, msg: string): void {
    if (ORDER[level] < ORDER[logger.level]) return;
    const prefix = level === 'info' ? '' : `${level}: `;
    write(redact(prefix + msg));
  }
  return logger;
}

/** A logger that records lines, for tests and for collecting warnings. */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level, write: (l) => lines.push(l), progressEveryMs: 0 }), { lines });
}
