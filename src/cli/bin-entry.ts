/**
 * What bin/kiln.js runs, bundled with its dependencies into dist/bundle/ (scripts/bundle.mjs): one
 * module graph, so the spawner it closes is the one the commands used.
 */
export { main } from './main.js';
export { closeSpawner } from '../exec/spawner.js';
export { capHeap } from '../util/heap-ceiling.js';
