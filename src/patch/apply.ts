/**
 * Post-render patches with Kustomize's own engine: the objects become a kustomization's resources
 * and the patches its `patches:` list, so strategic-merge list semantics (containers by name, env by
 * name, $patch directives) and JSON 6902 behave exactly as users know them from Kustomize and Flux.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { KilnError, KilnErrors } from '../errors.js';
import { ExecError, isCancelled } from '../exec/exec.js';
import { withTemporaryName, withoutTemporaryName } from '../manifests/generate-name.js';
import { manifestsOf } from '../manifests/parse.js';
import { restoreKeyOrder } from './key-order.js';
import { exactJsonText, serializeData, serializeObject } from '../manifests/serialize.js';
import type { K8sObject, PatchSpec } from '../model.js';
import { behindInSession, removeScratch, runToolOrWorker } from '../render/common.js';
import { kustomizeStandIn } from '../render/kustomize.js';
import type { RenderScope, Tool } from '../render/renderer.js';
import { cacheFiles } from '../util/cache-files.js';
import { onceIn } from '../util/run-memo.js';
import { patchReach } from './reach.js';
import { checkTargets, judgeTargets } from './targets.js';

export interface PatchContext {
  kustomize: Tool;
  tmpDir: string;
  timeoutMs: number;
  /** For errors: `profile "x" on cluster "y"`. */
  what: string;
  /** Persistent cache directory: results are kept in `<cacheDir>/patches/<key>.yaml` across runs. */
  cacheDir?: string;
  /** Bounds concurrent kustomize processes (see RenderSession.toolLimit). */
  limit?: <T>(fn: () => Promise<T>) => Promise<T>;
  /** The run's session: kustomize runs in its process scope, results are memoised in it. */
  session?: RenderScope;
  /** Given: a target matching nothing is reported here instead of failing (a lenient render, fleet/session.ts). */
  warn?: (message: string) => void;
  /** Given: each targeted patch's outcome goes here, judged over the fleet later (patch/judge.ts), instead of failing. */
  judge?: (patch: PatchSpec, error: KilnError | undefined) => void;
}

/**
 * Many clusters share identical (objects, patches): each distinct input is patched once per run
 * (`patch:builds`), and its parsed result kept for the same keys (`patch:parsed`, objects shared
 * read-only as component renders are; bounded). Without a session nothing is memoised.
 */
const PARSED_MAX = 1000;

export async function applyPatches(objects: K8sObject[], patches: PatchSpec[], ctx: PatchContext): Promise<K8sObject[]> {
  if (patches.length === 0) return objects;
  // a targeted patch that matches nothing would be skipped by kustomize without a word
  if (ctx.judge && !ctx.warn) {
    for (const j of judgeTargets(objects, patches, ctx.what)) ctx.judge(j.patch, j.error);
  } else try {
    checkTargets(objects, patches, ctx.what);
  } catch (e) {
    if (!ctx.warn || !(e instanceof KilnError)) throw e;
    for (const one of e instanceof KilnErrors ? e.errors : [e]) ctx.warn(one.message);
  }
  if (objects.length === 0) return objects;
  // only what a patch may touch goes through kustomize; the rest is passed on as it is (patch/reach.ts)
  const reach = patchReach(objects, patches, ctx.session?.memo.map('patch:ids'));
  const sent = reach && reach.includes(true) && reach.includes(false) ? objects.filter((_, i) => reach[i]) : objects;
  const patched = await applyToAll(sent, patches, ctx);
  return sent === objects ? patched : [...patched, ...objects.filter((_, i) => !reach![i])];
}

/** The kustomize build of `objects` with `patches` (memoised per run and kept across runs by its key). */
async function applyToAll(objects: K8sObject[], patches: PatchSpec[], ctx: PatchContext): Promise<K8sObject[]> {
  // kustomize requires metadata.name: generateName objects carry their kiln name while patched
  const resources = objects.map((o) => serializeObject(withTemporaryName(o))).join('---\n');
  const kustomization = kustomizationOf(patches, ctx.session);
  const key = createHash('sha256').update(ctx.kustomize.version).update('\0').update(kustomization).update('\0').update(resources).digest('hex');
  const memo = ctx.session?.memo.map<string, Promise<BuildOutput>>('patch:builds') ?? new Map<string, Promise<BuildOutput>>();
  const parsedMemo = ctx.session?.memo.map<string, K8sObject[]>('patch:parsed') ?? new Map<string, K8sObject[]>();
  let out: BuildOutput;
  try {
    out = await onceIn(memo, key, () => cachedBuild(key, resources, kustomization, ctx));
  } catch (e) {
    if (isCancelled(e)) throw e;
    throw explain(e, patches, ctx);
  }
  const known = parsedMemo.get(key);
  if (known) return [...known];
  const parsed = restoreKeyOrder(objects, manifestsOf(out, { source: `patched output of ${ctx.what}` }).map(withoutTemporaryName));
  // read now (and kept below for this key): the run's build memo holds on to the text only
  delete out.values;
  if (parsedMemo.size >= PARSED_MAX) parsedMemo.clear();
  parsedMemo.set(key, parsed);
  return [...parsed];
}

/**
 * The key covers the kustomize version and every byte kustomize reads, so its output can be kept
 * across runs; a missing or unreadable entry is a miss, a failed write only costs speed.
 */
const cacheFile = cacheFiles();

/** A build's output text; its documents' values too when the kustomize worker gave them. */
interface BuildOutput {
  stdout: string;
  values?: unknown[];
}

async function cachedBuild(key: string, resources: string, kustomization: string, ctx: PatchContext): Promise<BuildOutput> {
  const file = ctx.cacheDir ? path.join(ctx.cacheDir, 'patches', key.slice(0, 2), `${key}.yaml`) : undefined;
  if (file) {
    const hit = await cacheFile.readText(file);
    if (hit !== undefined) return { stdout: hit };
  }
  const out = await (ctx.limit ? ctx.limit(() => build(resources, kustomization, ctx)) : build(resources, kustomization, ctx));
  // a session writes it behind: the clusters waiting for this build go on
  if (file) await behindInSession(ctx.session, cacheFile.write(file, out.stdout));
  return out;
}

async function build(resources: string, kustomization: string, ctx: PatchContext): Promise<BuildOutput> {
  const dir = await mkdtemp(path.join(ctx.tmpDir, 'patch-'));
  try {
    await writeFile(path.join(dir, 'resources.yaml'), resources);
    await writeFile(path.join(dir, 'kustomization.yaml'), kustomization);
    // the bulk of a fleet's kustomize runs: through the session's kustomize worker when it links this kustomize
    const args = ['build', dir];
    const { stdout, values } = await runToolOrWorker({ session: ctx.session }, { ...kustomizeStandIn(ctx.kustomize), args, cwd: dir, timeoutMs: ctx.timeoutMs, label: ctx.what, values: true });
    return values ? { stdout, values } : { stdout };
  } finally {
    await removeScratch(ctx, dir);
  }
}

/** The kustomization of these patches: its YAML written once per run for patches with the same exact JSON (templated per cluster, mostly alike). */
function kustomizationOf(patches: PatchSpec[], session: RenderScope | undefined): string {
  const write = () => serializeData({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['resources.yaml'], patches: patches.map(toKustomizePatch) });
  const key = session ? exactJsonText(patches.map((p) => [p.target ?? null, p.patch])) : undefined;
  if (key === undefined) return write();
  const memo = session!.memo.map<string, string>('patch:kustomizations');
  let text = memo.get(key);
  if (text === undefined) {
    if (memo.size >= PARSED_MAX) memo.clear();
    memo.set(key, (text = write()));
  }
  return text;
}

function toKustomizePatch(p: PatchSpec): Record<string, unknown> {
  const body = typeof p.patch === 'string' ? p.patch : serializeData(p.patch);
  const out: Record<string, unknown> = { patch: body };
  if (p.target && Object.keys(p.target).length > 0) out.target = p.target;
  return out;
}

/** Point at the patch the tool complained about when its message lets us tell which one. */
function explain(e: unknown, patches: PatchSpec[], ctx: PatchContext): KilnError {
  const msg = e instanceof ExecError ? e.toolMessage : e instanceof Error ? e.message : String(e);
  const culprit = patches.find((p) => mentions(msg, p));
  const where = culprit?.source ?? patches[0]?.source;
  return new KilnError(`patches for ${ctx.what} failed: kustomize: ${msg}`, {
    pos: where,
    hint: where ? undefined : 'check the patch targets and bodies',
    cause: e,
  });
}

function mentions(msg: string, p: PatchSpec): boolean {
  const body = typeof p.patch === 'string' ? safeParse(p.patch) : p.patch;
  const name = (body as { metadata?: { name?: unknown } } | null)?.metadata?.name ?? p.target?.name;
  return typeof name === 'string' && msg.includes(name);
}

function safeParse(s: string): unknown {
  try {
    return parse(s);
  } catch {
    return null;
  }
}

