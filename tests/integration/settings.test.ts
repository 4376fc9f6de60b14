import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { CROSS_MS, deploymentPerTest, describeCluster, startDeployment } from '../helpers/cluster';
import { serverPerTest } from '../helpers/scenarios';
import { availability, bearer, createOperator, expectError, getData } from '../helpers/api';

/**
 * The team's settings (PROTOCOL.md "Business hours and settings"): operators read them, admins change them
 * (only what they name; anything invalid changes nothing), and availability tells the widget whether the team is
 * within its business hours and when it opens next.
 */
interface Settings {
  businessHours: { timezone: string; week: Array<{ day: string; open: string; close: string }>; closedDates: string[] } | null;
  offlineNotifyEmails: string[];
  departments: Array<{ name: string; offlineNotifyEmails: string[] }>;
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const allDay = DAYS.map((day) => ({ day, open: '00:00', close: '24:00' }));
const utcDate = (offsetDays: number): string => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describeEachBackend('settings', (backend) => {
  const stage = serverPerTest(backend);
  const patch = (token: string, body: unknown) => request(stage.url).patch('/api/settings').set(bearer(token)).send(body as object);

  it('operators read them; an admin changes what they name and keeps the rest', async () => {
    const { url, admin } = stage;
    const ann = await createOperator(url, admin.token, { name: 'Ann' });
    expect(await getData<Settings>(url, ann.token, '/api/settings')).toEqual({ businessHours: null, offlineNotifyEmails: [], departments: [] });

    const hours = { timezone: 'Europe/Paris', week: [{ day: 'mon', open: '09:00', close: '17:30' }, { day: 'sat', open: '10:00', close: '24:00' }], closedDates: ['2026-12-25'] };
    const first = await patch(admin.token, { businessHours: hours, offlineNotifyEmails: ['team@example.com'] });
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({ businessHours: hours, offlineNotifyEmails: ['team@example.com'], departments: [] });
    const departments = [{ name: 'sales', offlineNotifyEmails: ['sales@example.com', 'boss@example.com'] }];
    expect((await patch(admin.token, { departments })).body.data).toEqual({ businessHours: hours, offlineNotifyEmails: ['team@example.com'], departments });
    expect(await getData<Settings>(url, ann.token, '/api/settings')).toEqual({ businessHours: hours, offlineNotifyEmails: ['team@example.com'], departments });
    // null clears the hours: always open.
    expect((await patch(admin.token, { businessHours: null })).body.data.businessHours).toBeNull();
    expectError(await patch(ann.token, { offlineNotifyEmails: [] }), 403, 'FORBIDDEN');
  });

  it('refuses anything invalid with 400 naming the setting, and changes nothing', async () => {
    const { url, admin } = stage;
    const good = { timezone: 'Europe/Paris', week: [{ day: 'mon', open: '09:00', close: '17:00' }], closedDates: [] };
    await patch(admin.token, { businessHours: good, offlineNotifyEmails: ['team@example.com'] }).expect(200);
    const before = await getData<Settings>(url, admin.token, '/api/settings');
    const cases: Array<[unknown, string, RegExp]> = [
      [{ businessHours: { ...good, timezone: 'Mars/Olympus' } }, 'businessHours', /timezone/],
      [{ businessHours: { ...good, week: [{ day: 'mon', open: '25:00', close: '26:00' }] } }, 'businessHours', /week\[0\]\.open/],
      [{ businessHours: { ...good, week: [{ day: 'mon', open: '17:00', close: '09:00' }] } }, 'businessHours', /week\[0\]\.close: must be after open/],
      [{ businessHours: { ...good, closedDates: ['2026-02-30'] } }, 'businessHours', /closedDates\[0\]/],
      [{ businessHours: { ...good, closedDates: ['christmas'] } }, 'businessHours', /closedDates\[0\]/],
      [{ businessHours: 'always' }, 'businessHours', /object/],
      // One bad part refuses the whole change: the valid emails beside it are not stored either.
      [{ offlineNotifyEmails: ['new@example.com'], businessHours: { ...good, timezone: 'Nowhere' } }, 'businessHours', /timezone/],
      [{ offlineNotifyEmails: ['not an email'] }, 'offlineNotifyEmails', /\[0\]: an email address/],
      [{ offlineNotifyEmails: ['x@example.com\r\nBcc: victim@example.com'] }, 'offlineNotifyEmails', /\[0\]/],
      [{ departments: [{ name: 'sales', offlineNotifyEmails: [] }, { name: 'sales', offlineNotifyEmails: [] }] }, 'departments', /named twice/],
      [{ departments: [{ name: '<b>', offlineNotifyEmails: [] }] }, 'departments', /\[0\]\.name/],
      [{ colour: 'blue' }, 'colour', /is not a setting/],
    ];
    for (const [body, field, message] of cases) {
      const res = await patch(admin.token, body);
      expectError(res, 400, 'VALIDATION_ERROR');
      const details = res.body.error.details as Array<{ field: string; message: string }>;
      expect(details.map((d) => d.field)).toContain(field);
      expect(details.find((d) => d.field === field)?.message).toMatch(message);
    }
    expect(await getData<Settings>(url, admin.token, '/api/settings')).toEqual(before);
  });

  it('availability says whether the team is within its hours and when it opens next', async () => {
    const { url, admin } = stage;
    expect(await availability(url)).toMatchObject({ withinBusinessHours: true, nextOpenAt: null });
    await patch(admin.token, { businessHours: { timezone: 'UTC', week: allDay, closedDates: [] } }).expect(200);
    expect(await availability(url)).toMatchObject({ withinBusinessHours: true, nextOpenAt: null });
    // Closed today and tomorrow (UTC): open again the day after, at midnight.
    await patch(admin.token, { businessHours: { timezone: 'UTC', week: allDay, closedDates: [utcDate(0), utcDate(1)] } }).expect(200);
    expect(await availability(url)).toMatchObject({ withinBusinessHours: false, nextOpenAt: `${utcDate(2)}T00:00:00.000Z` });
    await patch(admin.token, { businessHours: { timezone: 'UTC', week: [], closedDates: [] } }).expect(200);
    expect(await availability(url)).toMatchObject({ withinBusinessHours: false, nextOpenAt: null });
  });
});

describeCluster('settings across two processes [mariadb+redis]', () => {
  const cluster = deploymentPerTest();
  beforeEach(() => startDeployment(cluster));

  it('a change made on one process is what the other serves at once', async () => {
    const a = cluster.a!.url;
    const b = cluster.b!.url;
    await request(a).patch('/api/settings').set(bearer(cluster.admin.token)).send({ businessHours: { timezone: 'UTC', week: [], closedDates: [] } }).expect(200);
    const started = Date.now();
    expect(await availability(b)).toMatchObject({ withinBusinessHours: false, nextOpenAt: null });
    expect(Date.now() - started).toBeLessThan(CROSS_MS);
    expect((await getData<Settings>(b, cluster.admin.token, '/api/settings')).businessHours).toEqual({ timezone: 'UTC', week: [], closedDates: [] });
  });
});
