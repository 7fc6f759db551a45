import { readFileSync } from 'node:fs';

let version: string | undefined;

/** kiln's own version, from package.json (recorded in every rendered branch's metadata). */
export function kilnVersion(): string {
  if (!version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    version = pkg.version;
  }
  return version;
}
