import { existsSync } from 'node:fs';
import path from 'node:path';
import { fleetFile, loadConfig } from '../config/load.js';
import type { ToolName } from '../model.js';
import { describeTools, type Found, type ToolSource } from '../render/tools.js';
import { toolsDir } from '../util/tools-dir.js';
import type { GlobalOptions } from './options.js';

export interface ToolLine {
  name: ToolName;
  /** null when no usable binary was found. */
  version: string | null;
  path: string | null;
  /** env (KILN_<TOOL>), PATH, or tools-dir ($KILN_TOOLS_DIR/bin). */
  foundIn: ToolSource | null;
  /** The fleet's spec.tools range that picked it, if any. */
  constraint?: string;
  problem?: string;
  /** Other binaries that could serve the tool (e.g. Helm 3 beside Helm 4). */
  alternatives: Array<{ version: string; path: string; foundIn: ToolSource }>;
}

export interface ToolsResult {
  toolsDir: string;
  tools: ToolLine[];
}

/** `kiln tools`: which binary kiln would run for each tool, its version and where it was found. */
export async function tools(g: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Promise<ToolsResult> {
  // inside a fleet repo its spec.tools ranges decide (Helm 3 vs 4); elsewhere the first found wins
  const configFile = fleetFile(g);
  const constraints = existsSync(configFile) ? (await loadConfig({ cwd: g.cwd, config: g.config })).config.tools : {};
  const described = await describeTools(env, constraints);
  return {
    toolsDir: toolsDir(env),
    tools: described.map(({ name, chosen, others }) => ({
      name,
      version: chosen.tool?.version ?? null,
      path: chosen.tool?.path ?? null,
      foundIn: chosen.tool ? (chosen.source ?? null) : null,
      ...(constraints[name] ? { constraint: constraints[name] } : {}),
      ...(chosen.tool ? {} : { problem: chosen.problem ?? 'not found' }),
      alternatives: others.filter((o): o is Found & { tool: NonNullable<Found['tool']>; source: ToolSource } => !!o.tool && !!o.source).map((o) => ({ version: o.tool.version, path: o.tool.path, foundIn: o.source })),
    })),
  };
}

function where(name: ToolName, s: ToolSource): string {
  return s === 'env' ? `from KILN_${name.toUpperCase()}` : s === 'PATH' ? 'on PATH' : "in kiln's tools dir";
}

export function formatTools(r: ToolsResult): string {
  const lines = r.tools.map((t) => {
    if (!t.path) return `${t.name.padEnd(10)} missing  ${t.problem ?? ''} (run \`kiln tools install\`)`;
    const also = t.alternatives.map((a) => `; also ${a.version} at ${a.path} (${where(t.name, a.foundIn)})`).join('');
    return `${t.name.padEnd(10)} ${t.version!.padEnd(8)} ${t.path} (${where(t.name, t.foundIn!)}${t.constraint ? `, picked by spec.tools.${t.name} "${t.constraint}"` : ''})${also}`;
  });
  return [...lines, `tools dir: ${r.toolsDir}`].join('\n');
}
