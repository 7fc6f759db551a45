import { existsSync } from 'node:fs';
import path from 'node:path';
import { copyInto, input, paths, slot } from './lib.mjs';

// caches are immutable: an exact hit is not saved again
if (process.env.STATE_exact === 'true') {
  console.log('Cache hit occurred on the primary key, not saving cache.');
} else {
  const key = input('key');
  paths().forEach((p, i) => existsSync(p) && copyInto(p, path.join(slot(key), String(i))));
  console.log(`Cache saved with key: ${key}`);
}
