import { DateTime, IANAZone } from 'luxon';
import type { BusinessHours, FieldProblem, Weekday } from '../contract';

/**
 * Business hours (PROTOCOL.md "Business hours and settings"): whether a moment is within them and when they next
 * open, in the team's time zone. Local times become instants through luxon, so daylight-saving changes are the
 * time-zone database's business, never arithmetic here.
 */

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** How far ahead the next opening is looked for: a year of closed dates is the longest a team would list. */
const LOOKAHEAD_DAYS = 400;

const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** What is wrong with business hours as given (none: they may be stored), each problem named by its field. */
export function businessHoursProblems(value: unknown): FieldProblem[] {
  if (value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) return [{ field: 'businessHours', message: 'an object { timezone, week, closedDates }, or null' }];
  const { timezone, week, closedDates, ...rest } = value as Record<string, unknown>;
  const problems: FieldProblem[] = Object.keys(rest).map((key) => ({ field: `businessHours.${key}`, message: 'is not a setting' }));
  if (typeof timezone !== 'string' || !IANAZone.isValidZone(timezone)) problems.push({ field: 'businessHours.timezone', message: 'an IANA time zone, such as Europe/Paris' });
  if (!Array.isArray(week) || week.length > 7 * 24) problems.push({ field: 'businessHours.week', message: `a list of { day, open, close } (at most ${7 * 24})` });
  else {
    week.forEach((entry: unknown, i) => {
      const field = `businessHours.week[${i}]`;
      const { day, open, close, ...extra } = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
      if (typeof entry !== 'object' || entry === null || Object.keys(extra).length > 0) problems.push({ field, message: 'an object { day, open, close }' });
      if (!WEEKDAYS.includes(day as Weekday)) problems.push({ field: `${field}.day`, message: `one of ${WEEKDAYS.join(', ')}` });
      const times = [open, close].map((time) => typeof time === 'string' && TIME.test(time));
      if (!times[0] || open === '24:00') problems.push({ field: `${field}.open`, message: 'a time HH:MM, 00:00 to 23:59' });
      if (!times[1]) problems.push({ field: `${field}.close`, message: 'a time HH:MM, 00:01 to 24:00' });
      if (times[0] && times[1] && minutesOf(close as string) <= minutesOf(open as string)) problems.push({ field: `${field}.close`, message: 'must be after open' });
    });
  }
  if (!Array.isArray(closedDates) || closedDates.length > 1000) problems.push({ field: 'businessHours.closedDates', message: 'a list of dates YYYY-MM-DD (at most 1000)' });
  else {
    closedDates.forEach((date: unknown, i) => {
      if (typeof date !== 'string' || !DATE.test(date) || !DateTime.fromISO(date).isValid) problems.push({ field: `businessHours.closedDates[${i}]`, message: 'a real date YYYY-MM-DD' });
    });
  }
  return problems;
}

/** The opening windows of one local date, as instants (none on a closed date). */
function windowsOn(hours: BusinessHours, date: DateTime): Array<{ open: DateTime; close: DateTime }> {
  if (hours.closedDates.includes(date.toISODate() ?? '')) return [];
  const day = WEEKDAYS[date.weekday - 1];
  const at = (time: string): DateTime => (time === '24:00' ? date.plus({ days: 1 }).startOf('day') : date.set({ hour: Number(time.slice(0, 2)), minute: Number(time.slice(3, 5)) }));
  return hours.week.filter((entry) => entry.day === day).map((entry) => ({ open: at(entry.open), close: at(entry.close) }));
}

/** Whether `now` is within business hours (always, when none are set). */
export function withinBusinessHours(hours: BusinessHours | null, now: Date): boolean {
  if (!hours) return true;
  const local = DateTime.fromJSDate(now, { zone: hours.timezone });
  const instant = local.toMillis();
  // Yesterday too: a window is of the date it opens on.
  return [local.minus({ days: 1 }), local].some((date) => windowsOn(hours, date.startOf('day')).some((w) => w.open.toMillis() <= instant && instant < w.close.toMillis()));
}

/** When business hours next open after `now`; null when they are open now, none are set, or none come. */
export function nextOpenAt(hours: BusinessHours | null, now: Date): Date | null {
  if (!hours || withinBusinessHours(hours, now)) return null;
  const today = DateTime.fromJSDate(now, { zone: hours.timezone }).startOf('day');
  for (let days = 0; days <= LOOKAHEAD_DAYS; days += 1) {
    const opens = windowsOn(hours, today.plus({ days }))
      .map((w) => w.open.toMillis())
      .filter((open) => open > now.getTime())
      .sort((a, b) => a - b);
    if (opens[0] !== undefined) return new Date(opens[0]);
  }
  return null;
}
