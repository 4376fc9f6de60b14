import { businessHoursProblems, nextOpenAt, withinBusinessHours } from '../../services/settings/businessHours';
import type { BusinessHours } from '../../services/contract';

/**
 * Business hours in the team's time zone, at fixed moments across daylight-saving changes in two zones: the
 * instants open and close move with the clocks, the local times do not.
 */
const weekdays = (open: string, close: string): BusinessHours['week'] => (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, open, close }));
const at = (iso: string): Date => new Date(iso);
const next = (hours: BusinessHours, iso: string): string | null => nextOpenAt(hours, at(iso))?.toISOString() ?? null;

describe('business hours', () => {
  it('Berlin, 09:00–17:00 on weekdays, across the change to summer time (29 March 2026)', () => {
    const hours: BusinessHours = { timezone: 'Europe/Berlin', week: weekdays('09:00', '17:00'), closedDates: [] };
    // Friday before: winter time, UTC+1.
    expect(withinBusinessHours(hours, at('2026-03-27T08:00:00Z'))).toBe(true); // 09:00
    expect(withinBusinessHours(hours, at('2026-03-27T07:59:59Z'))).toBe(false);
    expect(withinBusinessHours(hours, at('2026-03-27T15:59:59Z'))).toBe(true); // 16:59:59
    expect(withinBusinessHours(hours, at('2026-03-27T16:00:00Z'))).toBe(false); // 17:00
    // Over the weekend the clocks change: Monday 09:00 is 07:00 UTC, not 08:00.
    expect(next(hours, '2026-03-27T16:00:00Z')).toBe('2026-03-30T07:00:00.000Z');
    expect(next(hours, '2026-03-28T12:00:00Z')).toBe('2026-03-30T07:00:00.000Z');
    expect(withinBusinessHours(hours, at('2026-03-30T07:00:00Z'))).toBe(true);
    expect(withinBusinessHours(hours, at('2026-03-30T06:59:00Z'))).toBe(false);
    expect(next(hours, '2026-03-30T10:00:00Z')).toBeNull(); // open now
  });

  it('New York, across the change to summer time (8 March 2026): a window over 2:00 is an hour shorter', () => {
    const hours: BusinessHours = { timezone: 'America/New_York', week: [...weekdays('09:00', '17:00'), { day: 'sun', open: '01:00', close: '04:00' }], closedDates: [] };
    // Sunday 01:00 EST is 06:00 UTC; 04:00 EDT is 08:00 UTC.
    expect(withinBusinessHours(hours, at('2026-03-08T05:59:00Z'))).toBe(false);
    expect(withinBusinessHours(hours, at('2026-03-08T06:00:00Z'))).toBe(true);
    expect(withinBusinessHours(hours, at('2026-03-08T07:59:00Z'))).toBe(true);
    expect(withinBusinessHours(hours, at('2026-03-08T08:00:00Z'))).toBe(false);
    // Monday 09:00 EDT is 13:00 UTC (it was 14:00 the Monday before).
    expect(next(hours, '2026-03-08T08:00:00Z')).toBe('2026-03-09T13:00:00.000Z');
    expect(next(hours, '2026-03-01T10:00:00Z')).toBe('2026-03-02T14:00:00.000Z');
    // And back to winter time on 1 November 2026: 01:00 happens twice that Sunday, and the window opens at the
    // first (EDT, 05:00 UTC); Monday 09:00 EST is 14:00 UTC again.
    expect(next(hours, '2026-10-31T12:00:00Z')).toBe('2026-11-01T05:00:00.000Z');
    expect(next(hours, '2026-11-01T10:00:00Z')).toBe('2026-11-02T14:00:00.000Z');
  });

  it('closed dates, a close at 24:00, several windows a day, an empty week, and no hours at all', () => {
    const hours: BusinessHours = {
      timezone: 'UTC',
      week: [
        { day: 'fri', open: '08:00', close: '12:00' },
        { day: 'fri', open: '18:00', close: '24:00' },
      ],
      closedDates: ['2026-12-25'],
    };
    expect(withinBusinessHours(hours, at('2026-12-04T23:59:59Z'))).toBe(true);
    expect(withinBusinessHours(hours, at('2026-12-05T00:00:00Z'))).toBe(false);
    expect(next(hours, '2026-12-04T13:00:00Z')).toBe('2026-12-04T18:00:00.000Z');
    // Friday 25 December is closed: the next opening is the Friday after.
    expect(withinBusinessHours(hours, at('2026-12-25T09:00:00Z'))).toBe(false);
    expect(next(hours, '2026-12-24T12:00:00Z')).toBe('2027-01-01T08:00:00.000Z');
    const never: BusinessHours = { timezone: 'UTC', week: [], closedDates: [] };
    expect(withinBusinessHours(never, at('2026-12-04T12:00:00Z'))).toBe(false);
    expect(nextOpenAt(never, at('2026-12-04T12:00:00Z'))).toBeNull();
    expect(withinBusinessHours(null, at('2026-12-04T12:00:00Z'))).toBe(true);
    expect(nextOpenAt(null, at('2026-12-04T12:00:00Z'))).toBeNull();
  });

  it('refuses what is not business hours, naming each problem', () => {
    const good = { timezone: 'Europe/Paris', week: [{ day: 'mon', open: '09:00', close: '24:00' }], closedDates: ['2026-12-25'] };
    expect(businessHoursProblems(good)).toEqual([]);
    expect(businessHoursProblems(null)).toEqual([]);
    const fields = (value: unknown) => businessHoursProblems(value).map((p) => p.field);
    expect(fields({ ...good, timezone: 'Mars/Olympus' })).toEqual(['businessHours.timezone']);
    expect(fields({ ...good, week: [{ day: 'mon', open: '25:00', close: '26:00' }] })).toEqual(['businessHours.week[0].open', 'businessHours.week[0].close']);
    expect(fields({ ...good, week: [{ day: 'mon', open: '17:00', close: '09:00' }] })).toEqual(['businessHours.week[0].close']);
    expect(fields({ ...good, week: [{ day: 'mon', open: '09:00', close: '09:00' }] })).toEqual(['businessHours.week[0].close']);
    expect(fields({ ...good, week: [{ day: 'mon', open: '24:00', close: '24:00' }] })).toEqual(['businessHours.week[0].open', 'businessHours.week[0].close']);
    expect(fields({ ...good, week: [{ day: 'monday', open: '9:00', close: '17:00' }] })).toEqual(['businessHours.week[0].day', 'businessHours.week[0].open']);
    expect(fields({ ...good, closedDates: ['2026-02-30', '2026-2-3', 20261225] })).toEqual([
      'businessHours.closedDates[0]',
      'businessHours.closedDates[1]',
      'businessHours.closedDates[2]',
    ]);
    expect(fields({ ...good, extra: 1 })).toEqual(['businessHours.extra']);
    expect(fields('always')).toEqual(['businessHours']);
  });
});
