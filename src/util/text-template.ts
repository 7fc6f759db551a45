/** The text kiln emits lives in templates/; this fills its `{{ name }}` placeholders. */
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

export function loadTemplate(name: string): string {
  let t = cache.get(name);
  if (t === undefined) {
    // src/util and dist/util are both two levels below the package root
    t = readFileSync(new URL(`../../templates/${name}`, import.meta.url), 'utf8');
    cache.set(name, t);
  }
  return t;
}

/** Replace `{{ key }}`; an unknown key is a bug in kiln, not user input, so it throws. */
export function fill(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\{\{\s*([A-Za-z][\w]*)\s*\}\}/g, (_m, key: string) => {
    const v = vars[key];
    if (v === undefined) throw new Error(`template placeholder {{ ${key} }} has no value`);
    return String(v);
  });
}
