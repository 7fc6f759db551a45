/**
 * Samples every process below one pid (the bench's own) every 200 ms and keeps each one's peak
 * resident set, split into anonymous and file-backed pages, in a JSON file rewritten when a peak
 * rises. GNU time says how large the largest process got, not which one it was; this says which.
 *
 *   node bench/proc-peaks.ts <ancestor-pid> <out.json>
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const [ancestor, out] = [Number(process.argv[2]), process.argv[3]!];

interface Peak { pid: number; cmd: string; rssMiB: number; anonMiB: number; fileMiB: number }
const peaks = new Map<number, Peak>();
const read = (p: string) => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined; // the process ended between the listing and the read
  }
};
const kib = (status: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0) / 1024;

function sample(): void {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = read(`/proc/${e}/stat`);
    // the command name may hold spaces and parentheses: the fields after it start past the last ')'
    if (stat) parent.set(Number(e), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  let changed = false;
  for (const pid of parent.keys()) {
    if (pid === process.pid) continue;
    let p: number | undefined = parent.get(pid);
    while (p && p !== ancestor && p > 1) p = parent.get(p);
    if (p !== ancestor) continue;
    const status = read(`/proc/${pid}/status`);
    if (!status) continue;
    const rss = kib(status, 'VmRSS');
    if (rss <= (peaks.get(pid)?.rssMiB ?? 0)) continue;
    const argv = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').filter(Boolean);
    const cmd = argv.map((a) => a.split('/').pop()!).slice(0, 3).join(' ').slice(0, 60);
    peaks.set(pid, { pid, cmd, rssMiB: Math.round(rss), anonMiB: Math.round(kib(status, 'RssAnon')), fileMiB: Math.round(kib(status, 'RssFile') + kib(status, 'RssShmem')) });
    changed = true;
  }
  if (!changed) return;
  const top = [...peaks.values()].sort((a, b) => b.rssMiB - a.rssMiB).slice(0, 8);
  writeFileSync(`${out}.tmp`, JSON.stringify(top));
  renameSync(`${out}.tmp`, out);
}

sample();
setInterval(sample, 200);
process.on('SIGTERM', () => {
  sample();
  process.exit(0);
});
