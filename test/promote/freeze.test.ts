import { describe, expect, it } from 'vitest';
import { clockNow, freezeGate, isFreezeActive } from '../../src/promote/freeze.js';
import { KilnError } from '../../src/errors.js';
import type { FleetConfig } from '../../src/model.js';

const at = (iso: string) => new Date(iso);

function caught(f: () => unknown): KilnError {
  try {
    f();
  } catch (e) {
    if (e instanceof KilnError) return e;
    throw e;
  }
  throw new Error('expected a KilnError');
}

describe('freeze windows', () => {
  it('absolute windows: start inclusive, end exclusive, either side open', () => {
    const w = { start: '2024-12-20T00:00:00Z', end: '2025-01-06T00:00:00Z', reason: 'holidays' };
    expect(isFreezeActive(w, at('2024-12-19T23:59:59Z'))).toBe(false);
    expect(isFreezeActive(w, at('2024-12-20T00:00:00Z'))).toBe(true);
    expect(isFreezeActive(w, at('2025-01-05T23:59:59Z'))).toBe(true);
    expect(isFreezeActive(w, at('2025-01-06T00:00:00Z'))).toBe(false);
    expect(isFreezeActive({ start: '2025-03-01T00:00:00Z', reason: 'from now on' }, at('2026-01-01T00:00:00Z'))).toBe(true);
    expect(isFreezeActive({ end: '2025-03-01T00:00:00Z', reason: 'until' }, at('2025-03-02T00:00:00Z'))).toBe(false);
  });

  it('weekly windows are judged in their time zone, through the whole "to" minute', () => {
    // Friday 16:00–23:59 in Berlin (UTC+1 in January)
    const w = { weekly: { days: ['fri'], from: '16:00', to: '23:59', timezone: 'Europe/Berlin' }, reason: 'no Friday deploys' };
    expect(isFreezeActive(w, at('2025-01-03T14:59:00Z'))).toBe(false); // Fri 15:59 Berlin
    expect(isFreezeActive(w, at('2025-01-03T15:00:00Z'))).toBe(true); // Fri 16:00 Berlin
    expect(isFreezeActive(w, at('2025-01-03T22:59:30Z'))).toBe(true); // Fri 23:59:30 Berlin
    expect(isFreezeActive(w, at('2025-01-03T23:00:00Z'))).toBe(false); // Sat 00:00 Berlin
    // the same instant in UTC is still Friday 16:00 only an hour later
    const utc = { weekly: { days: ['fri'], from: '16:00', to: '23:59' }, reason: 'utc' };
    expect(isFreezeActive(utc, at('2025-01-03T15:30:00Z'))).toBe(false);
    expect(isFreezeActive(utc, at('2025-01-03T16:30:00Z'))).toBe(true);
    // summer time moves the window: 16:00 Berlin is 14:00 UTC in July
    expect(isFreezeActive(w, at('2025-07-04T14:00:00Z'))).toBe(true);
    expect(isFreezeActive(w, at('2025-07-04T13:59:00Z'))).toBe(false);
  });

  it('overnight weekly windows run into the next day; weekly inside start/end only', () => {
    const night = { weekly: { days: ['sat'], from: '22:00', to: '06:00', timezone: 'America/New_York' }, reason: 'maintenance' };
    expect(isFreezeActive(night, at('2025-01-05T04:00:00Z'))).toBe(true); // Sat 23:00 NY
    expect(isFreezeActive(night, at('2025-01-05T10:30:00Z'))).toBe(true); // Sun 05:30 NY
    expect(isFreezeActive(night, at('2025-01-05T11:30:00Z'))).toBe(false); // Sun 06:30 NY
    expect(isFreezeActive(night, at('2025-01-04T10:30:00Z'))).toBe(false); // Sat 05:30 NY (Fri not listed)
    const bounded = { ...night, start: '2025-02-01T00:00:00Z' };
    expect(isFreezeActive(bounded, at('2025-01-05T04:00:00Z'))).toBe(false);
  });

  it('the gate refuses with exit 3 naming the environment, or records --break-glass as a trailer', () => {
    const config = { environments: [{ name: 'dev', freeze: [] }, { name: 'prod', freeze: [{ weekly: { days: ['fri'], from: '00:00', to: '23:59' }, reason: 'no Friday deploys' }] }] } as unknown as FleetConfig;
    const fri = at('2025-01-03T12:00:00Z');
    expect(freezeGate(config, ['dev'], fri, undefined, 'publish')).toEqual({ frozen: [], trailers: {} });
    const e = caught(() => freezeGate(config, ['dev', 'prod'], fri, undefined, 'publish'));
    expect(e.oneLine()).toMatch(/prod \(no Friday deploys\).*--env dev/);
    expect(e.exitCode).toBe(3);
    const ok = freezeGate(config, ['prod'], fri, 'INC-7 hotfix', 'publish');
    expect(ok.trailers).toEqual({ 'Kiln-Break-Glass': 'INC-7 hotfix (freeze: prod (no Friday deploys))' });
    expect(freezeGate(config, ['prod'], at('2025-01-04T12:00:00Z'), undefined, 'publish').frozen).toEqual([]);
  });

  it('KILN_NOW sets the clock; a bad value is a one-line error', () => {
    expect(clockNow({ KILN_NOW: '2025-01-03T17:00:00Z' }).toISOString()).toBe('2025-01-03T17:00:00.000Z');
    expect(() => clockNow({ KILN_NOW: 'friday' })).toThrow(/KILN_NOW "friday" is not a date/);
  });
});
