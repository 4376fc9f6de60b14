import validator from 'validator';
import type { Db } from '../../models/db';
import { selectSettings, writeSettings } from '../../models/queries/settings';
import { requireAdmin, requireOperator, type Actor } from '../access';
import type { BusinessHours, FieldProblem, SettingsDTO } from '../contract';
import type { AuditLog } from '../audit/AuditLog';
import { ValidationError } from '../errors';
import { businessHoursProblems } from './businessHours';
import { sharedRead } from '../cache/sharedRead';

const DEFAULTS: SettingsDTO = { businessHours: null, offlineNotifyEmails: [], departments: [] };
const NAMES = Object.keys(DEFAULTS) as Array<keyof SettingsDTO>;
const MAX_EMAILS = 50;
const MAX_DEPARTMENTS = 100;
const DEPARTMENT = /^[\w .-]{1,64}$/;

/**
 * The team's settings (PROTOCOL.md "Business hours and settings"), kept in the database so that every process
 * reads the same at once. A change names the top-level settings it replaces; the others stay. Nothing is stored
 * unless all of it is valid.
 */
export class SettingsService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
  ) {}

  async get(actor: Actor): Promise<SettingsDTO> {
    requireOperator(actor);
    return this.read();
  }

  async update(actor: Actor, change: Record<string, unknown>): Promise<SettingsDTO> {
    requireAdmin(actor);
    const problems = settingsProblems(change);
    if (problems.length > 0) throw new ValidationError('Invalid settings: nothing was changed', problems);
    await this.db.transaction(async (transaction) => {
      await writeSettings(this.db, change, new Date(), transaction);
      await this.audit.record(actor, { action: 'settings.updated', target: { type: 'settings', id: null }, detail: { changed: Object.keys(change).sort() } }, transaction);
    });
    return this.read();
  }

  /** For anyone's availability: the business hours in force (null: none set). */
  async businessHours(): Promise<BusinessHours | null> {
    return (await this.current()).businessHours;
  }

  /** The settings in force, for the server's own use (a new session: business hours and who is told). */
  current(): Promise<SettingsDTO> {
    return this.sharedCurrent();
  }

  /** Each group of new sessions reads the settings (routing/arrivals.ts); callers of the same moment share a read (never one older than their call). */
  private readonly sharedCurrent = sharedRead(() => this.read());

  private async read(): Promise<SettingsDTO> {
    const stored = await selectSettings(this.db);
    return Object.fromEntries(NAMES.map((name) => [name, stored.has(name) ? stored.get(name) : DEFAULTS[name]])) as unknown as SettingsDTO;
  }
}

function emailProblems(value: unknown, field: string): FieldProblem[] {
  if (!Array.isArray(value) || value.length > MAX_EMAILS) return [{ field, message: `a list of email addresses (at most ${MAX_EMAILS})` }];
  return value.flatMap((email: unknown, i) =>
    typeof email === 'string' && email.length <= 191 && validator.isEmail(email) ? [] : [{ field: `${field}[${i}]`, message: 'an email address' }],
  );
}

function departmentProblems(value: unknown): FieldProblem[] {
  if (!Array.isArray(value) || value.length > MAX_DEPARTMENTS) return [{ field: 'departments', message: `a list of { name, offlineNotifyEmails } (at most ${MAX_DEPARTMENTS})` }];
  const seen = new Set<string>();
  return value.flatMap((entry: unknown, i): FieldProblem[] => {
    const field = `departments[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return [{ field, message: 'an object { name, offlineNotifyEmails }' }];
    const { name, offlineNotifyEmails, ...extra } = entry as Record<string, unknown>;
    const problems: FieldProblem[] = Object.keys(extra).map((key) => ({ field: `${field}.${key}`, message: 'is not a setting' }));
    if (typeof name !== 'string' || !DEPARTMENT.test(name)) problems.push({ field: `${field}.name`, message: 'letters, digits, spaces, . _ - (at most 64)' });
    else if (seen.has(name)) problems.push({ field: `${field}.name`, message: 'named twice' });
    else seen.add(name);
    return [...problems, ...emailProblems(offlineNotifyEmails, `${field}.offlineNotifyEmails`)];
  });
}

/**
 * Every problem of a change: one entry per setting, its problems said in the message with their place in it
 * (`businessHours`: "week[2].close: must be after open; closedDates[0]: a real date YYYY-MM-DD").
 */
export function settingsProblems(change: Record<string, unknown>): FieldProblem[] {
  return Object.entries(change).flatMap(([name, value]) => {
    const messages = problemsOf(name, value).map((problem) => (problem.field === name ? problem.message : `${problem.field.slice(name.length).replace(/^\./, '')}: ${problem.message}`));
    return messages.length > 0 ? [{ field: name, message: messages.join('; ') }] : [];
  });
}

function problemsOf(name: string, value: unknown): FieldProblem[] {
  switch (name) {
    case 'businessHours':
      return businessHoursProblems(value);
    case 'offlineNotifyEmails':
      return emailProblems(value, name);
    case 'departments':
      return departmentProblems(value);
    default:
      return [{ field: name, message: `is not a setting (${NAMES.join(', ')})` }];
  }
}
