/** The real render tools behind wrappers that log every call, to count what a command ran. */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findTools } from '../../src/render/tools.js';

export const TOOLS = ['helm', 'kustomize', 'jsonnet', 'ytt'] as const;
export const ENV_OF = { helm: 'KILN_HELM', kustomize: 'KILN_KUSTOMIZE', jsonnet: 'KILN_JSONNET', ytt: 'KILN_YTT' } as const;

export interface ToolCalls {
  /** Point KILN_<TOOL> at fresh wrappers; `fakeHelmVersion` makes helm report another version. */
  wrap(fakeHelmVersion?: string): void;
  /**
   * Calls since the last look: component renders per tool (patch builds run in a temp dir and are
   * not counted there), and `any`: every call but version queries.
   */
  take(): Record<(typeof TOOLS)[number] | 'any', number>;
}

export async function toolCalls(base: string): Promise<ToolCalls> {
  const found = await findTools([...TOOLS], {});
  const real = Object.fromEntries(TOOLS.map((t) => [t, found[t]!.path]));
  const log = path.join(base, 'calls.log');
  return {
    wrap(fakeHelmVersion) {
      const bin = mkdtempSync(path.join(base, 'bin-'));
      // the calls counted are tool processes: jsonnet runs as the CLI, not in a render worker
      process.env.KILN_RENDER_WORKER = 'off';
      for (const t of TOOLS) {
        const file = path.join(bin, t);
        const fake = t === 'helm' && fakeHelmVersion ? `if [ "$1" = version ]; then echo ${fakeHelmVersion}; exit 0; fi\n` : '';
        writeFileSync(file, `#!/bin/sh\n${fake}echo "${t} $*" >> "${log}"\nexec "${real[t]}" "$@"\n`);
        chmodSync(file, 0o755);
        process.env[ENV_OF[t]] = file;
      }
    },
    take() {
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {}
      rmSync(log, { force: true });
      const n = { helm: 0, kustomize: 0, jsonnet: 0, ytt: 0, any: 0 };
      for (const line of text.split('\n')) {
        if (!line || / (version|--version)$/.test(line) || line.endsWith('version --template {{.Version}}')) continue;
        n.any++;
        if (line.startsWith('helm template')) n.helm++;
        else if (line.startsWith('kustomize build') && line.includes('overlays')) n.kustomize++;
        else if (line.startsWith('jsonnet ')) n.jsonnet++;
        else if (line.startsWith('ytt -f')) n.ytt++;
      }
      return n;
    },
  };
}
