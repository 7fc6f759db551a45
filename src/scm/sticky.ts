/**
 * kiln's comments on one PR/MR kept in step with a list of bodies: part 1 is the sticky comment
 * (found by its marker), parts 2… are follow-ups found by their numbered markers. Each is created,
 * updated when its text changed, or left alone; parts the new diff no longer needs are deleted, so a
 * diff that shrinks leaves no stale part behind.
 */
import type { CommentResult, Scm } from './scm.js';

export interface StickyPart {
  marker: string;
  body: string;
}

export interface StickyResult {
  parts: Array<CommentResult & { part: number }>;
  /** Ids of follow-up comments deleted because the diff needs fewer parts now. */
  deleted: string[];
}

/** `stale` matches the marker of any follow-up part (so one left from a longer diff is found). */
export async function syncStickyComments(scm: Scm, number: number, parts: readonly StickyPart[], stale: RegExp): Promise<StickyResult> {
  const existing = await scm.listComments(number);
  const used = new Set<string>();
  const out: StickyResult = { parts: [], deleted: [] };
  for (const [i, p] of parts.entries()) {
    const body = p.body.includes(p.marker) ? p.body : `${p.marker}\n${p.body}`;
    const mine = existing.find((c) => !used.has(c.id) && c.body.includes(p.marker));
    if (mine) {
      used.add(mine.id);
      if (mine.body === body) {
        out.parts.push({ part: i + 1, id: mine.id, ...(mine.url ? { url: mine.url } : {}), action: 'unchanged' });
        continue;
      }
      const c = await scm.updateComment(number, mine.id, body);
      out.parts.push({ part: i + 1, id: c.id, ...(c.url ? { url: c.url } : {}), action: 'updated' });
    } else {
      const c = await scm.createComment(number, body);
      out.parts.push({ part: i + 1, id: c.id, ...(c.url ? { url: c.url } : {}), action: 'created' });
    }
  }
  for (const c of existing) {
    if (used.has(c.id) || !stale.test(c.body)) continue;
    await scm.deleteComment(number, c.id);
    out.deleted.push(c.id);
  }
  return out;
}
