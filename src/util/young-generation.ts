/**
 * A ceiling on V8's young generation, set while running. On a large machine V8 lets the new space
 * grow to 2 × 64 MiB; kiln allocates fast and keeps little of it, so at 10,000 clusters that space was
 * a quarter of the peak RSS with no measurable gain in CPU (bench/README). `--max-semi-space-size`
 * only applies at process start, which for `kiln` would cost a re-exec (~80 ms of Node start-up). V8
 * reads the semi-space growth factor each time it grows the space, so after each GC the factor is set
 * to 1 (no more growth) once the space reached the ceiling, and back to 2 below it. A user's own
 * `--max-semi-space-size` (on the command line or in NODE_OPTIONS) is left alone.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface YoungGenerationCap {
  /** Semi-space ceiling in MiB (the new space is two of them). */
  semiMiB?: number;
  execArgv?: string[];
  nodeOptions?: string;
}

// V8 flags are the process's: one observer per process, whoever asks
let installed = false;

/** Installs the ceiling unless the process was given its own young-generation size; true when installed. */
export function capYoungGeneration(o: YoungGenerationCap = {}): boolean {
  const execArgv = o.execArgv ?? process.execArgv;
  const nodeOptions = o.nodeOptions ?? process.env.NODE_OPTIONS ?? '';
  if (installed || [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/.test(a))) return false;
  const ceiling = 2 * (o.semiMiB ?? 16) * 1024 * 1024;
  let factor = 2;
  const check = () => {
    const size = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
    const want = size >= ceiling ? 1 : 2;
    if (want !== factor) {
      v8.setFlagsFromString(`--semi-space-growth-factor=${want}`);
      factor = want;
    }
  };
  new PerformanceObserver(check).observe({ entryTypes: ['gc'] });
  installed = true;
  return true;
}
