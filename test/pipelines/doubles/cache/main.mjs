import { existsSync } from 'node:fs';
import path from 'node:path';
import { restoreInto, input, newestWithPrefix, paths, saveState, setOutput, slot } from './lib.mjs';

const key = input('key');
const restoreKeys = input('restore-keys').split('\n').map((s) => s.trim()).filter(Boolean);
let hit = existsSync(slot(key)) ? key : undefined;
const exact = Boolean(hit);
for (const prefix of restoreKeys) hit ??= newestWithPrefix(prefix);
if (hit) paths().forEach((p, i) => existsSync(path.join(slot(hit), String(i))) && restoreInto(path.join(slot(hit), String(i)), p));
console.log(hit ? `Cache restored from key: ${hit}` : `Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`);
setOutput('cache-hit', String(exact));
saveState('exact', String(exact));
