/** kiln's own tools dir: where setup and `kiln tools install` build the pinned render tools (and Node 24). */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.KILN_TOOLS_DIR || path.join(os.homedir(), '.cache', 'kiln-tools'));
}

/** Files shipped beside dist/ in the package (scripts/pinned-tools.txt, scripts/build-go-tool.sh). */
export function packageFile(...rel: string[]): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', ...rel);
}
