/** What render, publish and diff share: config → plan → tools → source info → a render environment. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, type GlobalOptions } from '../commands/options.js';
import { loadConfig } from '../config/load.js';
import { sourceInfo, type SourceInfo } from '../git/source.js';
import type { FleetConfig, ToolName, Warning } from '../model.js';
import { findTools } from '../render/tools.js';
import { kilnVersion } from '../util/version.js';
import { planFleet, type ClusterPlan, type Selection } from './plan.js';
import type { RenderEnv } from './render-cluster.js';

export interface Prepared {
  config: FleetConfig;
  plans: ClusterPlan[];
  env: RenderEnv;
  warnings: Warning[];
  cleanup(): Promise<void>;
}

/** The tools the selected plans need: each engine's own, plus kustomize for any patch. */
export function toolsNeeded(plans: ClusterPlan[]): ToolName[] {
  const need = new Set<ToolName>();
  for (const p of plans) {
    if (p.cluster.patches.length) need.add('kustomize');
    for (const prof of p.profiles) {
      if (prof.patches.length) need.add('kustomize');
      for (const c of prof.components) if (c.engine !== 'manifests') need.add(c.engine);
    }
  }
  return [...need].sort();
}

export async function prepareRender(g: GlobalOptions, sel: Selection, source?: Partial<SourceInfo>): Promise<Prepared> {
  const { config, warnings } = await loadConfig({ cwd: g.cwd, config: g.config });
  const plans = planFleet(config, sel);
  const tools = await findTools(toolsNeeded(plans), config.tools);
  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'kiln-'));
  const env: RenderEnv = {
    root: config.root,
    tools,
    source: await sourceInfo(config.root, source),
    kilnVersion: kilnVersion(),
    cacheDir: cacheDir(),
    tmpDir,
    timeoutMs: Number(process.env.KILN_TOOL_TIMEOUT_MS ?? 300_000),
  };
  return { config, plans, env, warnings, cleanup: () => rm(tmpDir, { recursive: true, force: true }) };
}
