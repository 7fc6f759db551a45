/** Write the static site: index.html (data embedded), report.css, report.js, report.json. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fill, loadTemplate } from '../util/text-template.js';
import type { ReportData } from './model.js';

/** JSON safe inside `<script type="application/json">`: no `<`, `>`, `&` or line separators as themselves. */
export function embedJson(data: unknown): string {
  return JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const SITE_FILES = ['index.html', 'report.css', 'report.js', 'report.json'] as const;

export async function writeSite(out: string, data: ReportData): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const html = fill(loadTemplate('report/index.html'), { title: escapeHtml(`kiln report: ${data.fleet}`), data: embedJson(data) });
  await writeFile(path.join(out, 'index.html'), html);
  await writeFile(path.join(out, 'report.css'), loadTemplate('report/report.css'));
  await writeFile(path.join(out, 'report.js'), loadTemplate('report/report.js'));
  await writeFile(path.join(out, 'report.json'), JSON.stringify(data, null, 2) + '\n');
  return SITE_FILES.map((f) => path.join(out, f));
}
