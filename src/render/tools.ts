/**
 * Finding the render tools: `KILN_<TOOL>` wins, then PATH, then kiln's own tools dir
 * (`$KILN_TOOLS_DIR/bin`, where `kiln tools install` and the setup build them). Where several binaries
 * could serve (Helm 4 as `helm` and Helm 3 as `helm3`), a `spec.tools` range picks the first that
 * satisfies it. Each binary's version is asked once per process (and remembered by its identity).
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import semverSatisfies from 'semver/functions/satisfies.js';
import semverValidRange from 'semver/ranges/valid.js';
import { cacheDir } from '../options.js';
import { KilnError, KilnErrors } from '../errors.js';
import { ExecError, run } from '../exec/exec.js';
import type { ToolName } from '../model.js';
import { cacheFiles, hexEntryPath } from '../util/cache-files.js';
import { onceIn } from '../util/run-memo.js';
import { toolsDir } from '../util/tools-dir.js';
import type { Tool, ToolSet } from './renderer.js';

/** Recorded in provenance when a build reports no version (e.g. a `go build` without ldflags prints "(devel)"). */
export const UNKNOWN_VERSION = 'unknown';

export const TOOL_ENV: Record<ToolName, string> = {
  helm: 'KILN_HELM',
  kustomize: 'KILN_KUSTOMIZE',
  jsonnet: 'KILN_JSONNET',
  ytt: 'KILN_YTT',
};

const VERSION_ARGS: Record<ToolName, string[]> = {
  helm: ['version', '--template', '{{.Version}}'],
  kustomize: ['version'],
  jsonnet: ['--version'],
  ytt: ['version'],
};

/** Binary names that can serve a tool, in order of preference within one directory. */
const ALIASES: Record<ToolName, string[]> = {
  helm: ['helm', 'helm4', 'helm3'],
  kustomize: ['kustomize'],
  jsonnet: ['jsonnet'],
  ytt: ['ytt'],
};

const GET_IT = 'run `kiln tools install` (builds the pinned tools with Go into $KILN_TOOLS_DIR/bin, default ~/.cache/kiln-tools/bin)';

/** Where a binary was found: an env override, PATH, or kiln's tools dir. */
export type ToolSource = 'env' | 'PATH' | 'tools-dir';

interface Candidate {
  file: string;
  source: ToolSource;
}

export interface Found {
  tool?: Tool;
  source?: ToolSource;
  /** Why the tool could not be used, when it could not. */
  problem?: string;
  /** What the tool printed for its version when no vX.Y.Z was in it. */
  rawVersion?: string;
}

// Per process: the same (tool, KILN_* value, PATH) is looked up once, the same binary asked once.
const lookups = new Map<string, Promise<Found>>();
const versions = new Map<string, Promise<{ version: string; raw: string }>>();
const said = new Map<string, Promise<string>>();

export function clearToolCache(): void {
  lookups.clear();
  versions.clear();
  said.clear();
}

/** `v3.22.0` from "v3.22.0", "kustomize/v5.8.2", "… (Go implementation) v0.22.0", "ytt version 0.53.0"; null for "(devel)". */
export function normaliseVersion(output: string): string | null {
  const m = /(?:^|[^\d.])v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/.exec(output);
  return m?.[1] ? `v${m[1]}` : null;
}

/**
 * Blocking on purpose: a lookup is ~4 tools × their names × every PATH dir, each a stat of a local
 * file; through the promise API each is a trip through libuv's thread pool, tens of ms in all.
 */
function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** PATH lookup without a shell. */
async function onPath(name: string, pathVar: string | undefined): Promise<string | null> {
  return (await inDirs([name], (pathVar ?? '').split(path.delimiter)))[0] ?? null;
}

async function inDirs(names: string[], dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    if (!dir) continue;
    for (const name of names) {
      const file = path.resolve(dir, name);
      if (isExecutable(file)) out.push(file);
    }
  }
  return out;
}

/** Every binary that could serve `name`, best first; an env override is the only candidate. */
async function candidates(name: ToolName, env: NodeJS.ProcessEnv): Promise<Candidate[] | { problem: string }> {
  const envName = TOOL_ENV[name];
  const override = env[envName];
  if (override) {
    const file = override.includes('/') ? path.resolve(override) : await onPath(override, env.PATH);
    if (!file || !isExecutable(file)) return { problem: `${envName}=${override} is not an executable file` };
    return [{ file, source: 'env' }];
  }
  const toolsBin = path.join(toolsDir(env), 'bin');
  const fromPath = await inDirs(ALIASES[name], (env.PATH ?? '').split(path.delimiter));
  const fromTools = await inDirs(ALIASES[name], [toolsBin]);
  const seen = new Set<string>();
  const all: Candidate[] = [];
  for (const [file, source] of [...fromPath.map((f) => [f, 'PATH'] as const), ...fromTools.map((f) => [f, 'tools-dir'] as const)]) {
    if (seen.has(file)) continue;
    seen.add(file);
    // the tools dir on PATH is still kiln's tools dir
    all.push({ file, source: path.dirname(file) === toolsBin ? 'tools-dir' : source });
  }
  if (all.length === 0) return { problem: `${name} is not on PATH nor in ${toolsBin}` };
  return all;
}

function queryVersion(name: ToolName, file: string): Promise<{ version: string; raw: string }> {
  return onceIn(versions, file, () =>
    rememberedVersion(name, file, async () => {
      const r = await run(file, VERSION_ARGS[name], { timeoutMs: 30_000 });
      const raw = (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '';
      return { version: normaliseVersion(raw) ?? UNKNOWN_VERSION, raw };
    }),
  );
}

/** What `<file> <version args>` printed first (remembered like the version): tells implementations apart. */
export async function versionLine(name: ToolName, file: string): Promise<string> {
  return (await queryVersion(name, file)).raw;
}

/**
 * The first line `<file> args…` prints (another question than the version, e.g. the build details
 * `helm version --template` gives), remembered like the version: once per process, and in kiln's cache
 * by the file's identity.
 */
export function toolSays(name: ToolName, file: string, args: string[]): Promise<string> {
  return onceIn(said, `${file}\0${args.join('\0')}`, () =>
    rememberedVersion(
      name,
      file,
      async () => {
        const r = await run(file, args, { timeoutMs: 30_000 });
        return { version: '', raw: (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '' };
      },
      args,
    ).then((a) => a.raw),
  );
}

const versionFiles = cacheFiles();

/**
 * What a binary said its version was, kept in kiln's cache keyed by the file's identity (path, inode,
 * size, mtime and ctime: replacing or rewriting it changes the key), so a run that renders nothing
 * does not start every tool just to ask.
 */
async function rememberedVersion(name: ToolName, file: string, ask: () => Promise<{ version: string; raw: string }>, args: string[] = VERSION_ARGS[name]): Promise<{ version: string; raw: string }> {
  const off = /^(off|0|false|no)$/i.test(process.env.KILN_RENDER_CACHE ?? '');
  const s = off ? undefined : statOrUndefined(file);
  if (!s) return ask();
  const key = createHash('sha256').update(JSON.stringify([name, file, s.ino, s.size, s.mtimeMs, s.ctimeMs, args])).digest('hex');
  const entry = hexEntryPath(cacheDir(), 'tools', key);
  const hit = entry ? ((await versionFiles.read(entry)) as { key?: string; version?: unknown; raw?: unknown } | undefined) : undefined;
  if (hit?.key === key && typeof hit.version === 'string' && typeof hit.raw === 'string') return { version: hit.version, raw: hit.raw };
  const answer = await ask();
  if (entry) await versionFiles.write(entry, JSON.stringify({ key, ...answer }));
  return answer;
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

async function probe(name: ToolName, c: Candidate): Promise<Found> {
  try {
    const { version, raw } = await queryVersion(name, c.file);
    return { tool: { name, path: c.file, version, ...(c.source === 'env' ? { explicit: true } : {}) }, source: c.source, rawVersion: version === UNKNOWN_VERSION ? raw : undefined };
  } catch (e) {
    const why = e instanceof ExecError ? e.toolMessage || e.message : String(e);
    return { problem: `${c.file} does not answer \`${[name, ...VERSION_ARGS[name]].join(' ')}\`: ${why}` };
  }
}

function satisfies(f: Found, range: string | undefined): boolean {
  if (!range || !f.tool) return !!f.tool;
  return f.tool.version !== UNKNOWN_VERSION && !!semverValidRange(range) && semverSatisfies(f.tool.version, range, { includePrerelease: true });
}

/**
 * The binary for `name`: the first candidate that answers its version and satisfies `range`; when none
 * satisfies it, the first that answers (so the caller's constraint error names it).
 */
async function lookup(name: ToolName, env: NodeJS.ProcessEnv, range: string | undefined): Promise<Found> {
  const all = await candidates(name, env);
  if (!Array.isArray(all)) return all;
  let first: Found | undefined;
  for (const c of all) {
    const f = await probe(name, c);
    if (f.tool && satisfies(f, range)) return f;
    first ??= f.tool ? f : undefined;
    if (!range) break;
  }
  return first ?? (await probe(name, all[0]!));
}

function cachedLookup(name: ToolName, env: NodeJS.ProcessEnv, range?: string): Promise<Found> {
  const key = JSON.stringify([name, env[TOOL_ENV[name]] ?? null, env.PATH ?? '', env.KILN_TOOLS_DIR ?? null, range ?? null]);
  let p = lookups.get(key);
  if (!p) {
    p = lookup(name, env, range);
    lookups.set(key, p);
  }
  return p;
}

/** Every binary that could serve each tool, with its version and where it was found (`kiln tools`). */
export async function describeTools(env: NodeJS.ProcessEnv = process.env, constraints: Partial<Record<ToolName, string>> = {}): Promise<Array<{ name: ToolName; chosen: Found; others: Found[] }>> {
  const names = Object.keys(TOOL_ENV) as ToolName[];
  return Promise.all(
    names.map(async (name) => {
      const chosen = await cachedLookup(name, env, constraints[name]);
      const all = await candidates(name, env);
      const others = Array.isArray(all) ? await Promise.all(all.filter((c) => c.file !== chosen.tool?.path).map((c) => probe(name, c))) : [];
      return { name, chosen, others };
    }),
  );
}

function checkConstraint(name: ToolName, found: Found & { tool: Tool }, range: string): KilnError | null {
  if (!semverValidRange(range)) {
    return new KilnError(`spec.tools.${name}: "${range}" is not a semver range`, { field: `spec.tools.${name}` });
  }
  const { tool } = found;
  if (tool.version === UNKNOWN_VERSION) {
    return new KilnError(
      `${name} at ${tool.path} reports no usable version ("${found.rawVersion ?? ''}"), so it cannot satisfy spec.tools.${name} "${range}"`,
      { hint: `use a release build (${GET_IT}), or set ${TOOL_ENV[name]}=/path/to/${name}` },
    );
  }
  if (!semverSatisfies(tool.version, range, { includePrerelease: true })) {
    return new KilnError(`${name} ${tool.version} at ${tool.path} does not satisfy spec.tools.${name} "${range}"`, {
      hint: `${GET_IT}, or set ${TOOL_ENV[name]}=/path/to/${name}`,
    });
  }
  return null;
}

/**
 * Locate and version every tool in `names`. `usedBy` (tool → e.g. `profile "web" component "web"`)
 * only makes the error for a missing tool name what needs it.
 */
export async function findTools(
  names: ToolName[],
  constraints: Partial<Record<ToolName, string>>,
  env: NodeJS.ProcessEnv = process.env,
  usedBy: Partial<Record<ToolName, string[]>> = {},
): Promise<ToolSet> {
  const unique = [...new Set(names)].sort();
  const found = await Promise.all(unique.map((n) => cachedLookup(n, env, constraints[n])));
  const tools: ToolSet = {};
  const errors: KilnError[] = [];
  unique.forEach((name, i) => {
    const f = found[i]!;
    if (!f.tool) {
      const users = usedBy[name]?.length ? usedBy[name]!.join(', ') : 'the selected components';
      errors.push(
        new KilnError(`${name} is needed by ${users} but was not found: ${f.problem ?? 'not found'}`, {
          hint: `${GET_IT}, or set ${TOOL_ENV[name]}=/path/to/${name}`,
        }),
      );
      return;
    }
    const range = constraints[name];
    const bad = range ? checkConstraint(name, f as Found & { tool: Tool }, range) : null;
    if (bad) errors.push(bad);
    else tools[name] = f.tool;
  });
  if (errors.length === 1) throw errors[0]!;
  if (errors.length > 1) throw new KilnErrors(errors);
  return tools;
}
