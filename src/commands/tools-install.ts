import path from 'node:path';
import { installTools, type Installed } from '../render/tools-install.js';
import { toolsDir } from '../util/tools-dir.js';
import type { GlobalOptions } from './options.js';

export interface ToolsInstallResult {
  toolsDir: string;
  installed: Installed[];
}

/** `kiln tools install [name…]`: build the pinned render tools with Go into kiln's tools dir (reusing earlier builds). */
export async function toolsInstall(g: GlobalOptions, names: string[], env: NodeJS.ProcessEnv = process.env): Promise<ToolsInstallResult> {
  const dir = toolsDir(env);
  const installed = await installTools({ dir, names, onStart: (t) => g.logger.info(`${t.name} ${t.version}: building with go (or reusing an earlier build) in ${dir}`), onWarn: (m) => g.logger.warn(m) });
  return { toolsDir: dir, installed };
}

export function formatToolsInstall(r: ToolsInstallResult): string {
  const lines = r.installed.map((t) => `${t.name.padEnd(10)} ${t.version.padEnd(8)} ${t.built ? 'built ' : 'reused'} ${t.path}`);
  return [...lines, `kiln finds them in ${path.join(r.toolsDir, 'bin')} (after KILN_<TOOL> and PATH)`].join('\n');
}
