/**
 * Ceilings on V8's heap, set while running (`--max-semi-space-size` and friends only apply at process
 * start, which for `kiln` would cost a re-exec, ~80 ms of Node start-up). Both are read by V8 each
 * time it resizes, so one GC observer steers them.
 *
 * Young generation: on a large machine V8 lets the new space grow to 2 × 64 MiB; kiln allocates fast
 * and keeps little of it, so at 10,000 clusters that space was a quarter of the peak RSS with no
 * measurable gain in CPU (bench/README). Once the space reached the ceiling its growth factor is 1.
 *
 * Old generation: after a full GC V8 sets the next one's trigger at up to 4 × what survived, by how fast
 * it collected (slower while the render tools hold the cores). At 10,000 clusters a diff keeps ~200 MiB at
 * its end and far less mid-run, so a trigger set mid-run let garbage reach 440 MiB of used heap in some
 * runs and not in others (peak RSS 424–639 MiB between identical runs). V8 reads `--heap-growing-percent` when a full GC ends,
 * so the growth kiln sets after one full GC applies to what the next one keeps: it is chosen for the
 * next one keeping as much more as the last one kept over the one before (up to 3 ×), so that its
 * trigger still lands under the soft ceiling; where 4 × that stays under, V8 decides as it would. It is
 * soft: a heap that keeps more than the ceiling grows by a tenth at a time (more GCs), never fails.
 *
 * A user's own flags for a generation (on the command line or in NODE_OPTIONS) leave that one alone.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';

export interface HeapCeiling {
  /** Semi-space ceiling in MiB (the new space is two of them). */
  semiMiB?: number;
  /** Soft ceiling of the old generation's GC trigger, MiB. */
  oldMiB?: number;
  execArgv?: string[];
  nodeOptions?: string;
}

export interface HeapCeilingInstalled {
  young: boolean;
  old: boolean;
}

const MiB = 1024 * 1024;
/** V8's own largest growth factor: where it would stay under the ceiling anyway, it decides. */
const V8_MAX_FACTOR = 4;
const MIN_GROWTH_PERCENT = 10;

// V8 flags are the process's: one observer per process, whoever asks
let installed = false;

/** Most the next full GC is expected to keep over the last, as a multiple. */
const MAX_STEP = 3;

/**
 * The growth percent to set after a full GC that kept `live` bytes (the one before kept `before`): the
 * next full GC's trigger lands at `ceiling` if it keeps `live × step`; 0: V8 decides.
 */
export function oldGrowthPercent(live: number, before: number, ceiling: number): number {
  const step = Math.min(MAX_STEP, Math.max(1, before > 0 ? live / before : MAX_STEP));
  const next = live * step;
  if (next * V8_MAX_FACTOR <= ceiling) return 0;
  return Math.max(MIN_GROWTH_PERCENT, Math.floor((ceiling / next - 1) * 100));
}

/** Installs the ceilings the process was not given its own sizes for; says which it installed. */
export function capHeap(o: HeapCeiling = {}): HeapCeilingInstalled {
  const args = [...(o.execArgv ?? process.execArgv), ...(o.nodeOptions ?? process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const given = (re: RegExp) => args.some((a) => re.test(a));
  const want: HeapCeilingInstalled = {
    young: !given(/^--(max[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor)\b/),
    old: !given(/^--(max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|heap[-_]growing[-_]percent)\b/),
  };
  if (installed || (!want.young && !want.old)) return { young: false, old: false };
  const newCeiling = 2 * (o.semiMiB ?? 16) * MiB;
  const oldCeiling = (o.oldMiB ?? 288) * MiB;
  let factor = 2;
  let percent = 0;
  let kept = 0;
  const set = (flag: string) => v8.setFlagsFromString(flag);
  const check = (entries: PerformanceEntry[]) => {
    const spaces = v8.getHeapSpaceStatistics();
    if (want.young) {
      const size = spaces.find((s) => s.space_name === 'new_space')?.space_size ?? 0;
      const f = size >= newCeiling ? 1 : 2;
      if (f !== factor) set(`--semi-space-growth-factor=${(factor = f)}`);
    }
    const major = entries.some((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    if (want.old && major) {
      // what the full GC kept (read a moment later: what was allocated since is counted too, erring low)
      const live = spaces.reduce((n, s) => (s.space_name.startsWith('new_') ? n : n + s.space_used_size), 0);
      const p = oldGrowthPercent(live, kept, oldCeiling);
      kept = live;
      if (p !== percent) set(`--heap-growing-percent=${(percent = p)}`);
    }
  };
  new PerformanceObserver((list) => check(list.getEntries())).observe({ entryTypes: ['gc'] });
  installed = true;
  return want;
}
