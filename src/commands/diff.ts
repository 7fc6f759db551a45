/** `kiln diff`: the diff is produced in diff/produce.ts (comment posts the same one). */
export { DEFAULT_OUT_FILE, diff, diffJson, formatDiff, type DiffOptions, type DiffResult } from '../diff/produce.js';
