/**
 * The diff as GitHub/GitLab-flavoured markdown: a summary table of cluster groups, then one
 * collapsible section per group. A comment stays within the forges' size limit: the summary is
 * kept, details are cut with a note pointing at the full file.
 */
import { fill, loadTemplate } from '../util/text-template.js';
import { checksSection } from './checks-markdown.js';
import { DIFF_MARKER, RISK_LABELS, type DiffGroup, type DiffReport, type DiffSideInfo, type ObjectDiff, type RiskFlag } from './model.js';

/** GitHub refuses comments over 65,536 characters (GitLab allows more; one limit for both). */
export const COMMENT_LIMIT = 65_536;
// (its marker lives in model.ts: the work-tree check reads it without loading the markdown writer)
export { DIFF_MARKER };

export interface MarkdownOptions {
  /** Characters the result may have; `Infinity` for the full file. */
  limit?: number;
  /** Named in the note when details are cut. */
  outFile?: string;
}

export interface Markdown {
  text: string;
  truncated: boolean;
}

const short = (sha?: string) => (sha ? sha.slice(0, 12) : '');

function sideText(s: DiffSideInfo): string {
  switch (s.kind) {
    case 'published':
      return `the rendered branches on \`${s.ref ?? 'origin'}\``;
    case 'ref':
      return `\`${s.ref}\` (\`${short(s.commit)}\`)`;
    default:
      return `the work tree at \`${short(s.commit) || 'no commit'}\`${s.dirty ? ' with uncommitted changes' : ''}`;
  }
}

const plural = (n: number, one: string, many = one + 's') => `${n} ${n === 1 ? one : many}`;

function countsText(c: { added: number; changed: number; removed: number }): string {
  return `${c.added} added, ${c.changed} changed, ${c.removed} removed`;
}

function riskBadges(risks: readonly RiskFlag[]): string {
  return risks.map((r) => `⚠️ ${RISK_LABELS[r]}`).join(', ');
}

function names(list: readonly string[], max: number): string {
  const shown = list.slice(0, max).map((n) => `\`${n}\``).join(', ');
  return list.length > max ? `${shown} … (+${list.length - max} more)` : shown;
}

export function groupTitle(g: DiffGroup): string {
  if (g.clusters.length === 1) return g.clusters[0]!;
  return `same change on ${g.clusters.length} clusters: ${g.clusters.slice(0, 3).join(', ')}${g.clusters.length > 3 ? ' …' : ''}`;
}

export function summary(r: DiffReport, maxRows: number): string {
  const changed = r.totals.changedClusters;
  const headline = changed
    ? `${changed} of ${plural(r.totals.clusters, 'cluster')} change (${countsText(r.totals)})`
    : `no changes on ${plural(r.totals.clusters, 'cluster')}`;
  const sides = `Comparing ${sideText(r.head)} with ${sideText(r.base)}.` + (r.ignore.length ? ` Ignored fields: ${r.ignore.map((p) => `\`${p}\``).join(', ')}.` : '');
  let table: string;
  if (!r.groups.length) {
    table = fill(loadTemplate('diff-none.md'), { clusters: plural(r.totals.clusters, 'cluster') }).trimEnd();
  } else {
    const rows = r.groups.slice(0, maxRows).map((g) => `| ${g.id} | ${names(g.clusters, 5)} | ${g.added} | ${g.changed} | ${g.removed} | ${riskBadges(g.risks) || '–'} |`);
    if (r.groups.length > maxRows) rows.push(`| … | ${r.groups.length - maxRows} more groups (see the full diff) | | | | |`);
    const unchanged = r.totals.clusters - changed;
    const risks = Object.entries(r.totals.risks).map(([k, n]) => `⚠️ **${RISK_LABELS[k as RiskFlag]}**: ${n} object${n === 1 ? '' : 's'}`);
    table = ['| group | clusters | added | changed | removed | risks |', '|---|---|--:|--:|--:|---|', ...rows].join('\n');
    if (unchanged) table += `\n\n${plural(unchanged, 'cluster')} without changes.`;
    if (risks.length) table += `\n\n${risks.join(' · ')}`;
  }
  return fill(loadTemplate('diff-summary.md'), { marker: DIFF_MARKER, headline, removals: removals(r, maxRows), sides, table });
}

/** Whole profiles leaving clusters come first: they are the change most likely to be a mistake. */
function removals(r: DiffReport, maxRows: number): string {
  if (!r.removedProfiles?.length) return '';
  const lines = r.removedProfiles.slice(0, maxRows).map((x) => `- ⚠️ profile \`${x.profile}\` is removed from ${plural(x.clusters.length, 'cluster')}: ${names(x.clusters, 10)}`);
  if (r.removedProfiles.length > maxRows) lines.push(`- … ${r.removedProfiles.length - maxRows} more profiles`);
  return `**Profiles removed from clusters** (everything they deploy there is deleted):\n\n${lines.join('\n')}\n\n`;
}

function fence(body: string): string {
  let f = '```';
  while (body.includes(f)) f += '`';
  return f;
}

const MAX_OBJECT_DIFF = 12_000;

export function objectSection(o: ObjectDiff, cap: boolean): string {
  const gk = o.group ? `${o.group}/${o.kind}` : o.kind;
  const what = `${gk} ${o.namespace ? o.namespace + '/' : ''}${o.name}`;
  const facts = [o.action, ...o.risks.map((r) => (r === 'immutable-field' ? `⚠️ immutable: ${o.immutableFields.join(', ')}` : `⚠️ ${r}`)), ...o.notes];
  let body = o.diff;
  if (cap && body.length > MAX_OBJECT_DIFF) {
    const cut = body.slice(0, MAX_OBJECT_DIFF);
    const kept = cut.slice(0, cut.lastIndexOf('\n'));
    body = `${kept}\n… ${body.slice(kept.length).split('\n').length - 1} more lines in the full diff`;
  }
  const f = fence(body);
  return `**\`${what}\`** (profile \`${o.profile}\`): ${facts.join(' · ')}\n\n${f}diff\n${body}\n${f}\n`;
}

export function groupSection(g: DiffGroup, cap: boolean): string {
  const context = g.representative ? `\nContext lines as on \`${g.representative}\`; the changed lines are the same on every cluster.\n` : '';
  const clusters = g.clusters.length === 1 ? '' : `Clusters: ${cap && g.clusters.length > 200 ? names(g.clusters, 200) : g.clusters.map((n) => `\`${n}\``).join(', ')}\n${context}`;
  return fill(loadTemplate('diff-group.md'), {
    title: groupTitle(g),
    counts: countsText(g),
    risks: g.risks.length ? ` · ${riskBadges(g.risks)}` : '',
    clusters,
    objects: g.objects.map((o) => objectSection(o, cap)).join('\n'),
  });
}

/** The whole report as markdown, within `limit` characters (details cut with a note when needed). */
export function formatMarkdown(r: DiffReport, opts: MarkdownOptions = {}): Markdown {
  const limit = opts.limit ?? Infinity;
  const capped = Number.isFinite(limit);
  const checks = r.checks ? checksSection(r.checks, capped ? 100 : Infinity) : '';
  const head = summary(r, capped ? 200 : Infinity) + (checks ? `\n${checks}` : '');
  const sections = r.groups.map((g) => groupSection(g, capped));
  const full = [head, ...sections].join('\n');
  if (full.length <= limit) return { text: full, truncated: false };
  const note = (omitted: number) =>
    fill(loadTemplate('diff-truncated.md'), { limit: limit.toLocaleString('en-US'), omitted: `${plural(omitted, 'group')} of ${r.groups.length} not shown`, file: opts.outFile ?? 'kiln-diff.md' });
  let text = capped ? summary(r, 40) + (r.checks ? `\n${checksSection(r.checks, 20)}` : '') : head;
  let shown = 0;
  const reserve = note(r.groups.length).length + 1;
  for (const s of sections) {
    if (text.length + 1 + s.length + reserve > limit) break;
    text += '\n' + s;
    shown++;
  }
  return { text: (text + '\n' + note(r.groups.length - shown)).slice(0, limit), truncated: true };
}
