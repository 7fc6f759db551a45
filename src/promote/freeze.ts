/**
 * Deploy freezes (`environments[].freeze`): absolute windows (start/end) and weekly windows in a
 * time zone. A freeze blocks publish and promote to its environment (exit 3) unless the run breaks
 * the glass with a reason, which is recorded in the commit as `Kiln-Break-Glass:`.
 */
import { ExitCode, KilnError } from '../errors.js';
import type { Environment, FleetConfig, FreezeWindow } from '../model.js';

export const BREAK_GLASS_TRAILER = 'Kiln-Break-Glass';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The clock: `KILN_NOW` (ISO 8601) when set, so tests and dry runs can ask "what if it were Friday?". */
export function clockNow(env: NodeJS.ProcessEnv = process.env): Date {
  const v = env.KILN_NOW;
  if (v === undefined || v === '') return new Date();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new KilnError(`KILN_NOW "${v}" is not a date`, { hint: 'write an ISO 8601 time, e.g. 2025-01-03T17:00:00Z' });
  return new Date(t);
}

/** Weekday (sun..sat) and minutes since midnight of `now` in `timeZone`. */
function localTime(now: Date, timeZone: string): { day: number; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return { day: DAYS.indexOf(get('weekday').slice(0, 3).toLowerCase()), minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Weekly windows cover `from` through the whole minute `to` (so `to: "23:59"` reaches midnight) on
 * each listed day; `to` before `from` runs overnight into the next day.
 */
function inWeekly(w: NonNullable<FreezeWindow['weekly']>, now: Date): boolean {
  const { day, minutes } = localTime(now, w.timezone ?? 'UTC');
  const days = new Set(w.days.map((d) => DAYS.indexOf(d.slice(0, 3).toLowerCase())));
  const from = toMinutes(w.from);
  const to = toMinutes(w.to);
  if (from <= to) return days.has(day) && minutes >= from && minutes <= to;
  return (days.has(day) && minutes >= from) || (days.has((day + 6) % 7) && minutes <= to);
}

/** Active when inside start/end (either may be open) and, if weekly is set, inside the weekly window too. */
export function isFreezeActive(w: FreezeWindow, now: Date): boolean {
  const t = now.getTime();
  if (w.start !== undefined && t < Date.parse(w.start)) return false;
  if (w.end !== undefined && t >= Date.parse(w.end)) return false;
  return w.weekly ? inWeekly(w.weekly, now) : true;
}

export function activeFreezes(env: Environment, now: Date): FreezeWindow[] {
  return env.freeze.filter((w) => isFreezeActive(w, now));
}

export interface FrozenEnvironment {
  environment: string;
  reasons: string[];
}

export interface FreezeGateResult {
  frozen: FrozenEnvironment[];
  /** Trailers to add to every commit of the run: set only when the glass was actually broken. */
  trailers: Record<string, string>;
}

/** Refuse (exit 3) when any of `envs` is frozen at `now`, unless `breakGlass` gives a reason. */
export function freezeGate(config: FleetConfig, envs: string[], now: Date, breakGlass: string | undefined, verb: string): FreezeGateResult {
  const frozen: FrozenEnvironment[] = [];
  for (const e of config.environments) {
    if (!envs.includes(e.name)) continue;
    const active = activeFreezes(e, now);
    if (active.length) frozen.push({ environment: e.name, reasons: active.map((w) => w.reason) });
  }
  if (frozen.length === 0) return { frozen, trailers: {} };
  const what = frozen.map((f) => `${f.environment} (${f.reasons.join('; ')})`).join(', ');
  if (breakGlass === undefined) {
    const open = envs.filter((e) => !frozen.some((f) => f.environment === e));
    throw new KilnError(`refused: ${verb} into a deploy freeze at ${now.toISOString()}: ${what}`, {
      exitCode: ExitCode.gateRefused,
      hint: `${open.length ? `select the open environments (--env ${open.join(',')}) or ` : ''}pass --break-glass "<reason>" to override; the reason is recorded in the commit`,
    });
  }
  if (breakGlass.trim() === '') throw new KilnError('--break-glass needs a reason', { hint: 'e.g. --break-glass "INC-1234 hotfix"' });
  return { frozen, trailers: { [BREAK_GLASS_TRAILER]: `${breakGlass.trim()} (freeze: ${what})` } };
}
