/** The global options and cache dir live in src/options.ts (lower layers take them); re-exported for commands. */
export { cacheDir, defaultGlobals, type GlobalOptions } from '../options.js';
