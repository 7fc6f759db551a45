/** Run the CLI in-process (fast) or as a real child process (for kill tests). */
import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function kiln(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (s) => void (stdout += s), stderr: (s) => void (stderr += s) });
  return { code, stdout, stderr };
}

/** stderr without the progress lines (stage start/end, counts, timing summary): what is left is what kiln said. */
export function withoutProgress(stderr: string): string {
  return stderr
    .split('\n')
    .filter((l) => !/^[^:\n]+: (started(, \d+\/\d+ \w+)?|done(, .*)? in \d+(\.\d+s|m\d\ds)|\d+\/\d+ \w+(; .*)?)$/.test(l) && !/^(timing|tool processes|cache): /.test(l))
    .join('\n');
}
