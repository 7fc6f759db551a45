import { input, paths, saveSlot } from './lib.mjs';

// caches are immutable: an exact hit is not saved again
if (process.env.STATE_exact === 'true') {
  console.log('Cache hit occurred on the primary key, not saving cache.');
} else {
  const key = input('key');
  console.log(saveSlot(key, paths())
    ? `Cache saved with key: ${key}`
    : `Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`);
}
