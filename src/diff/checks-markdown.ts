/**
 * The checks in the diff comment, before the diff: identical findings across clusters are one line
 * naming the clusters (a schema error in a shared chart reads once, not once per cluster).
 */
import type { CheckSummary, Finding } from '../check/model.js';

const ICON = { error: '❌', warning: '⚠️' } as const;

function code(s: string): string {
  return `\`${s.replace(/`/g, "'")}\``;
}

export function checksSection(s: CheckSummary, maxRows = Infinity): string {
  const all = s.clusters.flatMap((c) => c.findings);
  if (!all.length) return s.clusters.length ? `✅ **Checks** passed on ${s.clusters.length} cluster(s).
` : '';
  const groups = new Map<string, { f: Finding; clusters: string[] }>();
  for (const f of all) {
    const key = JSON.stringify([f.severity, f.check, f.profile, f.object, f.path, f.message]);
    const g = groups.get(key);
    if (g) g.clusters.push(f.cluster);
    else groups.set(key, { f, clusters: [f.cluster] });
  }
  const sorted = [...groups.values()].sort((a, b) => (a.f.severity === b.f.severity ? 0 : a.f.severity === 'error' ? -1 : 1));
  const lines = sorted.slice(0, maxRows).map(({ f, clusters }) => {
    const where = [f.profile && `profile ${code(f.profile)}`, f.object && code(f.object), f.path && code(f.path)].filter(Boolean).join(' ');
    const on = clusters.length > 5 ? `${clusters.slice(0, 5).map(code).join(', ')} … (+${clusters.length - 5} more)` : clusters.map(code).join(', ');
    return `- ${ICON[f.severity]} **${f.check}** ${where}${where ? ': ' : ''}${f.message} — on ${on}`;
  });
  if (sorted.length > maxRows) lines.push(`- … ${sorted.length - maxRows} more (see \`kiln check\` or the JSON)`);
  const verdict = s.errors ? `❌ **Checks: ${s.errors} error(s)**, ${s.warnings} warning(s) — publishing these clusters would be refused` : `⚠️ **Checks: ${s.warnings} warning(s)**`;
  return `${verdict}\n\n${lines.join('\n')}\n`;
}
