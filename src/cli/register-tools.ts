/** `kiln tools` and `kiln tools install`. */
import type { Command } from 'commander';
import { globals, print, type CliContext } from './context.js';

export function registerToolsCommands(program: Command, { io }: CliContext): void {
  const cmd = program
    .command('tools')
    .description('the render tools kiln would run: version, path and where each was found (KILN_<TOOL>, PATH, kiln\'s tools dir)')
    .action(async (_o: Record<string, unknown>, c: Command) => {
      const g = globals(c, io);
      const { formatTools, tools } = await import('../commands/tools.js');
      const r = await tools(g);
      print(io, g, r, formatTools(r));
    });
  cmd
    .command('install')
    .description('build the pinned render tools with Go into $KILN_TOOLS_DIR (default ~/.cache/kiln-tools); earlier builds are reused')
    .argument('[tools...]', 'only these (helm, helm3, kustomize, jsonnet, ytt)')
    .action(async (names: string[], _o: Record<string, unknown>, c: Command) => {
      const g = globals(c, io);
      const { formatToolsInstall, toolsInstall } = await import('../commands/tools-install.js');
      const r = await toolsInstall(g, names);
      print(io, g, r, formatToolsInstall(r));
    });
}
