/**
 * Finding the render tools: `KILN_<TOOL>` wins over PATH, each binary's version is asked once per
 * process, and `spec.tools` semver ranges are checked before anything renders.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import semver from 'semver';
import { cacheDir } from '../commands/options.js';
import { KilnError, KilnErrors } from '../errors.js';
import { ExecError, run } from '../exec/exec.js';
import type { ToolName } from '../model.js';
import { cacheFiles, hexEntryPath } from '../util/cache-files.js';
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

const GET_IT =
  'run `npm run setup` (builds the pinned tools into ~/.cache/kiln-tools/bin) and put that directory on PATH';

interface Found {
  tool?: Tool;
  /** Why the tool could not be used, when it could not. */
  problem?: string;
  /** What the tool printed for its version when no vX.Y.Z was in it. */
  rawVersion?: string;
}

// Per process: the same (tool, KILN_* value, PATH) is looked up once, the same binary asked once.
const lookups = new Map<string, Promise<Found>>();
const versions = new Map<string, Promise<{ version: string; raw: string }>>();

export function clearToolCache(): void {
  lookups.clear();
  versions.clear();
}

/** `v3.22.0` from "v3.22.0", "kustomize/v5.8.2", "… (Go implementation) v0.22.0", "ytt version 0.53.0"; null for "(devel)". */
export function normaliseVersion(output: string): string | null {
  const m = /(?:^|[^\d.])v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)/.exec(output);
  return m?.[1] ? `v${m[1]}` : null;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** PATH lookup without a shell. */
async function onPath(name: string, pathVar: string | undefined): Promise<string | null> {
  for (const dir of (pathVar ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

function queryVersion(name: ToolName, file: string): Promise<{ version: string; raw: string }> {
  let p = versions.get(file);
  if (!p) {
    p = rememberedVersion(name, file, async () => {
      const r = await run(file, VERSION_ARGS[name], { timeoutMs: 30_000 });
      const raw = (r.stdout.trim() || r.stderr.trim()).split('\n')[0] ?? '';
      return { version: normaliseVersion(raw) ?? UNKNOWN_VERSION, raw };
    });
    versions.set(file, p);
    p.catch(() => versions.delete(file));
  }
  return p;
}

const versionFiles = cacheFiles();

/**
 * What a binary said its version was, kept in kiln's cache keyed by the file's identity (path, inode,
 * size, mtime and ctime: replacing or rewriting it changes the key), so a run that renders nothing
 * does not start every tool just to ask.
 */
async function rememberedVersion(name: ToolName, file: string, ask: () => Promise<{ version: string; raw: string }>): Promise<{ version: string; raw: string }> {
  const off = /^(off|0|false|no)$/i.test(process.env.KILN_RENDER_CACHE ?? '');
  const s = off ? undefined : await stat(file).catch(() => undefined);
  if (!s) return ask();
  const key = createHash('sha256').update(JSON.stringify([name, file, s.ino, s.size, s.mtimeMs, s.ctimeMs, VERSION_ARGS[name]])).digest('hex');
  const entry = hexEntryPath(cacheDir(), 'tools', key);
  const hit = entry ? ((await versionFiles.read(entry)) as { key?: string; version?: unknown; raw?: unknown } | undefined) : undefined;
  if (hit?.key === key && typeof hit.version === 'string' && typeof hit.raw === 'string') return { version: hit.version, raw: hit.raw };
  const answer = await ask();
  if (entry) await versionFiles.write(entry, JSON.stringify({ key, ...answer }));
  return answer;
}

async function lookup(name: ToolName, env: NodeJS.ProcessEnv): Promise<Found> {
  const envName = TOOL_ENV[name];
  const override = env[envName];
  let file: string | null;
  if (override) {
    file = override.includes('/') ? path.resolve(override) : await onPath(override, env.PATH);
    if (!file || !(await isExecutable(file))) {
      return { problem: `${envName}=${override} is not an executable file` };
    }
  } else {
    file = await onPath(name, env.PATH);
    if (!file) return { problem: `${name} is not on PATH` };
  }
  try {
    const { version, raw } = await queryVersion(name, file);
    return { tool: { name, path: file, version }, rawVersion: version === UNKNOWN_VERSION ? raw : undefined };
  } catch (e) {
    const why = e instanceof ExecError ? e.toolMessage || e.message : String(e);
    return { problem: `${file} does not answer \`${[name, ...VERSION_ARGS[name]].join(' ')}\`: ${why}` };
  }
}

function cachedLookup(name: ToolName, env: NodeJS.ProcessEnv): Promise<Found> {
  const key = JSON.stringify([name, env[TOOL_ENV[name]] ?? null, env.PATH ?? '']);
  let p = lookups.get(key);
  if (!p) {
    p = lookup(name, env);
    lookups.set(key, p);
  }
  return p;
}

function checkConstraint(name: ToolName, found: Found & { tool: Tool }, range: string): KilnError | null {
  if (!semver.validRange(range)) {
    return new KilnError(`spec.tools.${name}: "${range}" is not a semver range`, { field: `spec.tools.${name}` });
  }
  const { tool } = found;
  if (tool.version === UNKNOWN_VERSION) {
    return new KilnError(
      `${name} at ${tool.path} reports no usable version ("${found.rawVersion ?? ''}"), so it cannot satisfy spec.tools.${name} "${range}"`,
      { hint: `use a release build (${GET_IT}), or set ${TOOL_ENV[name]}=/path/to/${name}` },
    );
  }
  if (!semver.satisfies(tool.version, range, { includePrerelease: true })) {
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
  const found = await Promise.all(unique.map((n) => cachedLookup(n, env)));
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
