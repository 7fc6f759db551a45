/** One component render per input hash per run, from the persistent render cache when it has it. */
import { KilnError } from '../errors.js';
import { isCancelled } from '../exec/exec.js';
import type { Component } from '../model.js';
import { renderComponent } from '../render/index.js';
import type { RenderContext, RenderOutput } from '../render/renderer.js';
import { secretFree } from '../manifests/secrets.js';
import type { RenderSession } from './session.js';

/**
 * The input hash covers spec, Capabilities, tool version and file bytes, so it is a safe memo key,
 * in this run (memo) and across runs (the persistent render cache).
 */
export function renderOnce(c: Component, ctx: RenderContext, hash: string, env: RenderSession, pinned: boolean): Promise<RenderOutput> {
  // an input read from outside the repo and not pinned may have moved since: never from disk, never to it
  const cache = pinned ? env.renderCache : undefined;
  const key = `${c.engine}:${hash}`;
  const asked = env.memo.map<string, number>('renders:asked');
  asked.set(key, (asked.get(key) ?? 0) + 1);
  let p = env.renders.get(key);
  if (!p) {
    let onDisk = false;
    let written: Promise<void> | undefined;
    p = (async () => {
      const cached = await cache?.get(c.engine, hash);
      if (cached) {
        env.progress.cacheHit('renders from the render cache');
        onDisk = true;
        return cached;
      }
      const out = await env.toolLimit(() => renderComponent(c, ctx));
      if (secretFree(out.objects) && cache) {
        // no credentials on disk; written behind, so the clusters waiting for this render go on
        written = cache.put(c.engine, hash, out).then(() => void (onDisk = true));
        env.exec.behind(written);
      }
      return out;
    })();
    const inFlight = p;
    env.renders.set(key, inFlight);
    // a render only this cluster asked for (every jsonnet identity of a 10,000-cluster fleet) is not
    // kept for the rest of the run once the disk cache has it: a later ask reads it back from there
    inFlight.then(
      async () => {
        await written?.catch(() => undefined);
        if (onDisk && asked.get(key) === 1 && env.renders.get(key) === inFlight) env.renders.delete(key);
      },
      (e: unknown) => {
        if (!isCancelled(e) && e instanceof KilnError) env.memo.map<string, KilnError>('renders:failed').set(key, e);
      },
    );
  } else env.progress.cacheHit('renders shared between clusters');
  return p;
}

