/**
 * `kiln tools install`: the pinned render tools built with Go into kiln's tools dir, by the same script
 * and pinned list (scripts/build-go-tool.sh, scripts/pinned-tools.txt) as the source checkout's setup.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { KilnError } from '../errors.js';
import { run } from '../exec/exec.js';
import { packageFile } from '../util/tools-dir.js';

export interface PinnedTool {
  /** The name kiln finds it by in `<tools dir>/bin` (`helm3` is Helm 3 beside the default Helm 4). */
  name: string;
  module: string;
  pkg: string;
  version: string;
}

export async function pinnedTools(file = packageFile('scripts', 'pinned-tools.txt')): Promise<PinnedTool[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [name, module, pkg, version] = l.split('|');
      if (!name || !module || !pkg || !version) throw new KilnError(`${file}: "${l}" is not name|module|package|version`);
      return { name, module, pkg, version };
    });
}

/** What to install by hand when there is no Go to build with. */
export function manualInstallHint(tools: PinnedTool[], binDir: string): string {
  const list = tools.map((t) => `${t.name} ${t.version} (go install ${t.pkg}@${t.version})`).join(', ');
  return `install Go (https://go.dev/dl) and run \`kiln tools install\` again, or install these yourself and put them on PATH or in ${binDir}: ${list}`;
}

export interface Installed {
  name: string;
  version: string;
  path: string;
  /** false when an earlier build of the same version was reused. */
  built: boolean;
}

const GO_ENV = ['GOPATH', 'GOCACHE', 'GOMODCACHE', 'GOPROXY', 'GONOSUMDB', 'GONOSUMCHECK', 'GOPRIVATE', 'GOSUMDB', 'GOINSECURE', 'GOROOT', 'XDG_CACHE_HOME'];

/** Build (or reuse) each pinned tool in `names` (all when empty) into `dir`. */
export async function installTools(opts: { dir: string; names?: string[]; onStart?: (t: PinnedTool) => void }): Promise<Installed[]> {
  const pinned = await pinnedTools();
  const unknown = (opts.names ?? []).filter((n) => !pinned.some((t) => t.name === n));
  if (unknown.length) {
    throw new KilnError(`unknown tool ${unknown.map((n) => `"${n}"`).join(', ')}`, { hint: `the pinned tools are ${pinned.map((t) => t.name).join(', ')}` });
  }
  const chosen = opts.names?.length ? pinned.filter((t) => opts.names!.includes(t.name)) : pinned;
  const go = await run('go', ['env', 'GOVERSION'], { timeoutMs: 60_000, allowEnv: GO_ENV }).catch(() => undefined);
  if (!go) throw new KilnError('Go is not on PATH, so kiln cannot build its render tools', { hint: manualInstallHint(chosen, path.join(opts.dir, 'bin')) });
  const script = packageFile('scripts', 'build-go-tool.sh');
  const out: Installed[] = [];
  for (const t of chosen) {
    opts.onStart?.(t);
    // one tool at a time: each `go build` uses every core already
    const r = await run('bash', [script, t.name, t.module, t.pkg, t.version, opts.dir], { timeoutMs: 60 * 60_000, allowEnv: GO_ENV });
    const [status, file] = r.stdout.trim().split('\n').at(-1)?.split(' ') ?? [];
    out.push({ name: t.name, version: t.version, path: file ?? path.join(opts.dir, 'bin', t.name), built: status === 'built' });
  }
  return out;
}
