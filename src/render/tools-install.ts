/**
 * `kiln tools install`: the pinned render tools built with Go into kiln's tools dir, by the same script
 * and pinned list (scripts/build-go-tool.sh, scripts/pinned-tools.txt) as the source checkout's setup.
 */
import { createHash } from 'node:crypto';
import { access, constants, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { KilnError } from '../errors.js';
import { run } from '../exec/exec.js';
// kiln's own render workers, built from the package's tools/render-worker* sources
import { WORKER_BINARIES, WORKER_BINARY } from '../exec/render-worker.js';
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
    .filter((l) => l && !l.startsWith('#') && !l.startsWith(`${K8S_OPENAPI}|`))
    .map((l) => {
      const [name, module, pkg, version] = l.split('|');
      if (!name || !module || !pkg || !version) throw new KilnError(`${file}: "${l}" is not name|module|package|version`);
      return { name, module, pkg, version };
    });
}

/** `kiln check`'s schema sets: not a binary, a `<tools dir>/k8s-openapi/<minor>.json` per pinned release. */
export const K8S_OPENAPI = 'k8s-openapi';

/** What `kiln check` needs (scripts/check-tools.txt): conftest, and the Kubernetes releases whose OpenAPI it checks against. */
export async function checkTools(file = packageFile('scripts', 'check-tools.txt')): Promise<{ tools: PinnedTool[]; k8sReleases: string[] }> {
  const tools = await pinnedTools(file);
  const line = (await readFile(file, 'utf8')).split('\n').find((l) => l.startsWith(`${K8S_OPENAPI}|`));
  const k8sReleases = line ? line.slice(K8S_OPENAPI.length + 1).trim().split(/\s+/).filter(Boolean) : [];
  if (!k8sReleases.length || !k8sReleases.every((v) => /^v1\.\d+\.\d+$/.test(v))) throw new KilnError(`${file}: the ${K8S_OPENAPI} line must list Kubernetes releases (v1.N.M)`);
  return { tools, k8sReleases };
}

/** The binary build-go-tool.sh writes for a package (its last element; kustomize/v5 → kustomize). */
function binaryOf(pkg: string): string {
  const parts = pkg.split('/');
  const last = parts.at(-1)!;
  return /^v\d/.test(last) ? parts.at(-2)! : last;
}

/** Whether every schema set of `releases` is already in `dir` (then no Go is needed to fetch them). */
async function haveSchemaSets(dir: string, releases: string[]): Promise<boolean> {
  for (const v of releases) {
    const minor = v.slice(1).split('.').slice(0, 2).join('.');
    try {
      // the file names its release in a top-level `kubernetes` field, near its start
      const head = (await readFile(path.join(dir, K8S_OPENAPI, `${minor}.json`), 'utf8')).slice(0, 200);
      if (!head.includes(`"kubernetes":"${v}"`) && !head.includes(`"kubernetes": "${v}"`)) return false;
    } catch {
      return false;
    }
  }
  return true;
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

/**
 * Build (or reuse) each pinned tool in `names` (all when empty) into `dir`: the render tools, conftest
 * and the Kubernetes schema sets (`k8s-openapi`), so `kiln check` works from the npm package too.
 * Go is needed only for what is not there yet.
 */
export async function installTools(opts: { dir: string; names?: string[]; onStart?: (t: PinnedTool) => void; onWarn?: (msg: string) => void }): Promise<Installed[]> {
  const check = await checkTools();
  const pinned = [...(await pinnedTools()), ...check.tools];
  const workerNames = await workerSources();
  const known = [...pinned.map((t) => t.name), K8S_OPENAPI, ...workerNames];
  const unknown = (opts.names ?? []).filter((n) => !known.includes(n));
  if (unknown.length) {
    throw new KilnError(`unknown tool ${unknown.map((n) => `"${n}"`).join(', ')}`, { hint: `the pinned tools are ${known.join(', ')}` });
  }
  const wanted = (n: string) => !opts.names?.length || opts.names.includes(n);
  const chosen = pinned.filter((t) => wanted(t.name));
  const schemas = wanted(K8S_OPENAPI);
  // Go is asked about once, and only when something needs building (or the worker might be built)
  let goProbe: Promise<boolean> | undefined;
  const hasGo = () => (goProbe ??= run('go', ['env', 'GOVERSION'], { timeoutMs: 60_000, allowEnv: GO_ENV }).then(() => true, () => false));
  // optional (the engine's CLI runs without one): without Go a worker is skipped unless asked for by name
  const workers: Array<{ name: string; hash: string; there: boolean; named: boolean }> = [];
  for (const name of workerNames.filter(wanted)) {
    const hash = await workerSourceHash(name);
    const there = await executable(path.join(opts.dir, `${name}-${hash}`, name));
    const named = Boolean(opts.names?.includes(name));
    if (there || named || (await hasGo())) workers.push({ name, hash, there, named });
  }
  const missing = [];
  for (const t of chosen) if (!(await executable(path.join(opts.dir, `${binaryOf(t.pkg)}-${t.version}`, binaryOf(t.pkg))))) missing.push(t);
  const needSchemas = schemas && !(await haveSchemaSets(opts.dir, check.k8sReleases));
  const unbuilt = workers.filter((w) => !w.there);
  if ((missing.length || needSchemas || unbuilt.length) && !(await hasGo())) {
    const hint =
      manualInstallHint(missing, path.join(opts.dir, 'bin')) +
      (needSchemas ? `; the Kubernetes schema sets need Go too (or set KILN_K8S_OPENAPI_DIR)` : '') +
      unbuilt.map((w) => `; ${w.name} is built from kiln's own source and needs Go (kiln runs the ${workerEngine(w.name)} CLI without it)`).join('');
    throw new KilnError('Go is not on PATH, so kiln cannot build its tools', { hint });
  }
  // a build script's last line: `built <binary>` or `reused <binary>`
  const build = async (script: string, args: string[], fallback: string) => {
    const r = await run('bash', [packageFile('scripts', script), ...args], { timeoutMs: 60 * 60_000, allowEnv: GO_ENV });
    const [status, file] = r.stdout.trim().split('\n').at(-1)?.split(' ') ?? [];
    return { path: file ?? fallback, built: status === 'built' };
  };
  const out: Installed[] = [];
  for (const t of chosen) {
    opts.onStart?.(t);
    // one tool at a time: each `go build` uses every core already
    out.push({ name: t.name, version: t.version, ...(await build('build-go-tool.sh', [t.name, t.module, t.pkg, t.version, opts.dir], path.join(opts.dir, 'bin', t.name))) });
  }
  for (const w of workers) {
    // the build dir is named by a hash of the worker's source: that is its version
    const src = `tools/${w.name.slice('kiln-'.length)}`;
    opts.onStart?.({ name: w.name, module: src, pkg: src, version: w.hash });
    try {
      out.push({ name: w.name, version: w.hash, ...(await build('build-render-worker.sh', [opts.dir, w.name], path.join(opts.dir, 'bin', w.name))) });
    } catch (e) {
      // a worker is optional (the CLI stands in): its failed build costs speed, never the install (CI setups name them)
      opts.onWarn?.(`${w.name} failed to build, kiln runs the ${workerEngine(w.name)} CLI instead: ${(e as Error).message}`);
    }
  }
  if (schemas) {
    const range = `${check.k8sReleases[0]}…${check.k8sReleases.at(-1)}`;
    opts.onStart?.({ name: K8S_OPENAPI, module: 'k8s.io/kubernetes', pkg: 'api/openapi-spec/v3', version: range });
    if (needSchemas) await run(process.execPath, [packageFile('scripts', 'k8s-openapi.mjs'), opts.dir, ...check.k8sReleases], { timeoutMs: 60 * 60_000, allowEnv: GO_ENV });
    out.push({ name: K8S_OPENAPI, version: range, path: path.join(opts.dir, K8S_OPENAPI), built: needSchemas });
  }
  return out;
}

/** The worker binaries whose source the package holds (tools/render-worker*), in WORKER_BINARIES order. */
async function workerSources(): Promise<string[]> {
  const dirs = new Set(await readdir(packageFile('tools')).catch(() => [] as string[]));
  return WORKER_BINARIES.filter((name) => dirs.has(name.slice('kiln-'.length)));
}

/** `kiln-render-worker-kustomize` → kustomize; the first worker is jsonnet's. */
function workerEngine(name: string): string {
  return name === WORKER_BINARY ? 'jsonnet' : name.slice(`${WORKER_BINARY}-`.length);
}

/**
 * The hash in a worker's build dir name, as scripts/build-render-worker.sh computes it: its source's
 * go.mod, go.sum and *.go, then tools/worker-values' go.mod and *.go when its go.mod replaces that by the local dir.
 */
async function workerSourceHash(name: string): Promise<string> {
  const src = packageFile('tools', name.slice('kiln-'.length));
  const goFiles = async (dir: string) => (await readdir(dir)).filter((f) => f.endsWith('.go')).sort();
  const files = ['go.mod', 'go.sum', ...(await goFiles(src))].map((f) => path.join(src, f));
  if (/^replace kiln\.local\/worker-values => \.\.\/worker-values$/m.test(await readFile(files[0]!, 'utf8'))) {
    const shared = packageFile('tools', 'worker-values');
    files.push(...['go.mod', ...(await goFiles(shared))].map((f) => path.join(shared, f)));
  }
  const h = createHash('sha256');
  for (const f of files) h.update(await readFile(f));
  return h.digest('hex').slice(0, 12);
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
