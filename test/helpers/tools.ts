/** The pinned tools from scripts/setup.sh (npm test puts them first on PATH). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Tool } from '../../src/render/renderer.js';

export function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    try {
      execFileSync(p, ['--help'], { stdio: 'ignore' });
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`${name} not on PATH: run the tests through npm test (scripts/run.sh)`);
}

export function kustomizeTool(): Tool {
  const p = which('kustomize');
  return { name: 'kustomize', path: p, version: execFileSync(p, ['version'], { encoding: 'utf8' }).trim() };
}

export function tmp(prefix = 'kiln-t-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
