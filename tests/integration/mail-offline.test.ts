import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ParsedMail } from 'mailparser';
import { describeEachBackend } from '../helpers/backends';
import { deploymentPerTest, describeCluster, startDeployment, startProcess } from '../helpers/cluster';
import { createAdmin, createSession, bearer, sessionEvents, type Staff } from '../helpers/api';
import { onlineOperator } from '../helpers/scenarios';
import { startMailbox, type Mailbox } from '../helpers/smtpServer';
import { startTestServer, type TestServer } from '../helpers/testServer';
import { waitFor } from '../helpers/wait';

/**
 * Offline messages by mail (PROTOCOL.md "Email"), through a real SMTP server (STARTTLS, AUTH): a session
 * created while nobody can answer is mailed to the team, through the outbox: escaped, one line of subject, to
 * the right list; and delivered exactly once when the mail server refuses, drops the connection mid-message, is down across a restart of the chat
 * server, or when two processes race for the outbox.
 */
const mailEnv = (box: Mailbox): Record<string, string> => ({
  SMTP_URL: box.url,
  MAIL_FROM: 'chat@example.com',
  OFFLINE_NOTIFY_EMAILS: 'fallback@example.com',
  PUBLIC_URL: 'https://chat.example.com',
});
const to = (mail: ParsedMail): string[] => (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));
const about = (word: string) => (mail: ParsedMail) => (mail.text ?? '').includes(word);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeEachBackend('offline messages by mail', (backend) => {
  let box: Mailbox;
  let server: TestServer;
  let admin: Staff;
  beforeEach(async () => {
    box = await startMailbox();
    server = await startTestServer(backend, { env: mailEnv(box) });
    admin = await createAdmin(server);
  });
  afterEach(async () => {
    await server.close();
    await box.stop();
  });

  it('nobody online: the team gets the customer’s message, escaped, with a link; a header injection stays in the subject line', async () => {
    const word = `parcel${randomUUID().slice(0, 8)}`;
    await request(server.url).patch('/api/settings').set(bearer(admin.token)).send({ offlineNotifyEmails: ['team@example.com', 'boss@example.com'] }).expect(200);
    const customer = await createSession(server.url, {
      customerName: 'Nina <b>Night</b>\r\nBcc: victim@example.com',
      customerEmail: 'nina@example.com',
      message: `Where is my ${word}? <script>alert(1)</script>`,
    });
    expect(customer.session.offline).toBe(true);
    const mail = await box.next(about(word));
    expect(to(mail).sort()).toEqual(['boss@example.com', 'team@example.com']);
    expect(mail.from?.value[0]?.address).toBe('chat@example.com');
    expect(mail.replyTo?.value[0]?.address).toBe('nina@example.com');
    expect(mail.subject).toBe('Message from Nina <b>Night</b> Bcc: victim@example.com');
    expect(mail.headers.has('bcc')).toBe(false);
    expect(mail.text).toContain(`Where is my ${word}? <script>alert(1)</script>`);
    expect(mail.text).toContain(`https://chat.example.com/console?session=${customer.session.id}`);
    expect(mail.html).toContain('Nina &#60;b&#62;Night&#60;/b&#62;');
    expect(mail.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(mail.html).not.toContain('<script>');
    // The outbox records the send once the mail server's "250" is back, a moment after the mail is in the box.
    const mailed = await waitFor(async () => (await sessionEvents(server.url, admin.token, customer.session.id)).find((e) => e.type === 'mailed'), 10_000, 'the mailed event');
    expect(mailed.detail).toEqual({ kind: 'offline_message', recipients: 2 });
  });

  it('the department’s list first, then the team’s, then OFFLINE_NOTIFY_EMAILS; nobody is mailed while someone is online', async () => {
    const [sales, other, fallback, online] = ['sales', 'other', 'fallback', 'online'].map((k) => `${k}${randomUUID().slice(0, 8)}`);
    await createSession(server.url, { customerName: 'Fay', message: fallback });
    expect(to(await box.next(about(fallback)))).toEqual(['fallback@example.com']);
    await request(server.url)
      .patch('/api/settings')
      .set(bearer(admin.token))
      .send({ offlineNotifyEmails: ['team@example.com'], departments: [{ name: 'sales', offlineNotifyEmails: ['sales@example.com'] }] })
      .expect(200);
    await createSession(server.url, { customerName: 'Sam', department: 'sales', message: sales });
    await createSession(server.url, { customerName: 'Ola', department: 'support', message: other });
    expect(to(await box.next(about(sales)))).toEqual(['sales@example.com']);
    expect(to(await box.next(about(other)))).toEqual(['team@example.com']);
    await onlineOperator(server.url, admin.token, { name: 'Olga' });
    const live = await createSession(server.url, { customerName: 'Liv', message: online });
    expect(live.session.offline).toBe(false);
    await sleep(2_500);
    expect(box.mails.filter(about(online))).toEqual([]);
  });

  it('a mail server that refuses (451) gets the mail again within seconds, and it arrives once', async () => {
    const word = `refused${randomUUID().slice(0, 8)}`;
    box.refusing = true;
    const customer = await createSession(server.url, { customerName: 'Rita', message: word });
    await sleep(2_000);
    box.refusing = false;
    await box.next(about(word), 20_000);
    await sleep(2_000);
    expect(box.mails.filter(about(word))).toHaveLength(1);
    const events = await sessionEvents(server.url, admin.token, customer.session.id);
    expect(events.filter((e) => e.type === 'mailed')).toHaveLength(1);
  }, 40_000);

  it('a mail server that drops the connection in the middle of a message gets it again, and it arrives once', async () => {
    const word = `dropped${randomUUID().slice(0, 8)}`;
    box.dropMidMessage = 1;
    const customer = await createSession(server.url, { customerName: 'Dora', message: word });
    await box.next(about(word), 20_000);
    expect(box.dropMidMessage).toBe(0);
    await sleep(2_000);
    expect(box.mails.filter(about(word))).toHaveLength(1);
    const events = await sessionEvents(server.url, admin.token, customer.session.id);
    expect(events.filter((e) => e.type === 'mailed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'mail_failed')).toHaveLength(0);
  }, 40_000);
});

describeCluster('offline mail across processes and restarts [mariadb+redis]', () => {
  const cluster = deploymentPerTest();
  let box: Mailbox;
  beforeEach(async () => {
    box = await startMailbox();
  });
  afterEach(async () => {
    await box.stop();
  });

  it('the mail server down for a minute, the chat server restarted meanwhile, the mail server back: every mail delivered exactly once', async () => {
    await startDeployment(cluster, mailEnv(box), 1);
    await box.stop();
    const downSince = Date.now();
    const words = Array.from({ length: 3 }, () => `down${randomUUID().slice(0, 8)}`);
    for (const word of words) await createSession(cluster.a!.url, { customerName: 'Dora', message: word });
    // Tried and failed (5, 10, 20 s apart) while it is down; the chat server restarts half-way through the minute.
    await sleep(30_000);
    await cluster.a!.server.stop();
    cluster.a = await startProcess(cluster);
    await sleep(Math.max(0, 60_000 - (Date.now() - downSince)));
    await box.start();
    // The backoff's next try after a minute down comes at most 40 s later (5 + 10 + 20 + 40 s).
    for (const word of words) await box.next(about(word), 60_000);
    await sleep(3_000);
    for (const word of words) expect(box.mails.filter(about(word))).toHaveLength(1);
    const events = await Promise.all(
      (await request(cluster.a!.url).get('/api/chat/sessions/history').set(bearer(cluster.admin.token))).body.data.map((session: { id: string }) => sessionEvents(cluster.a!.url, cluster.admin.token, session.id)),
    );
    expect(events.flat().filter((e) => e.type === 'mailed')).toHaveLength(3);
  }, 150_000);

  it('two processes racing for the outbox send each mail once', async () => {
    await startDeployment(cluster, mailEnv(box), 2);
    const words = Array.from({ length: 16 }, () => `race${randomUUID().slice(0, 8)}`);
    await Promise.all(words.map((word, i) => createSession((i % 2 === 0 ? cluster.a : cluster.b)!.url, { customerName: `Racer ${i}`, message: word })));
    for (const word of words) await box.next(about(word), 20_000);
    await sleep(3_000);
    for (const word of words) expect(box.mails.filter(about(word))).toHaveLength(1);
    expect(new Set(box.mails.map((m) => m.messageId)).size).toBe(box.mails.length);
  }, 60_000);
});
