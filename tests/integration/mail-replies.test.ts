import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ParsedMail } from 'mailparser';
import { describeEachBackend } from '../helpers/backends';
import { bearer, createAdmin, createOperator, createSession, expectError, getSession, listMessages, sendMessage, sessionEvents, setStatus, type Staff } from '../helpers/api';
import { waitFor } from '../helpers/wait';
import { startMailbox, type Mailbox } from '../helpers/smtpServer';
import { call, connectCustomer } from '../helpers/sockets';
import { startTestServer, type TestServer } from '../helpers/testServer';

/**
 * Replies by email (PROTOCOL.md "Email"), end to end through a real SMTP server: the customer who left a
 * message gets the operator's answer by mail while not connected, answers the mail, and the answer comes back
 * into the same chat through POST /api/inbound/email. A connected customer gets no mail; notes are never mailed.
 */
const SECRET = 'inbound-secret-for-the-tests';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const replyToOf = (mail: ParsedMail): string => mail.replyTo?.value[0]?.address ?? '';
const to = (mail: ParsedMail): string[] => (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((a) => a.value.map((v) => v.address ?? ''));

/** A mail as a customer's mail program sends it: their answer above the quoted conversation and a signature. */
function customerReply(to: string, text: string, options: { messageId?: string; html?: string; extraHeaders?: string } = {}): string {
  const head = [
    'From: Nina Night <nina@example.com>',
    `To: ${to}`,
    'Subject: Re: New reply from Ann',
    `Message-ID: ${options.messageId ?? `<${randomUUID()}@mail.example.com>`}`,
    'MIME-Version: 1.0',
    ...(options.extraHeaders ? [options.extraHeaders] : []),
  ];
  if (options.html) return [...head, 'Content-Type: text/html; charset=utf-8', '', options.html, ''].join('\r\n');
  return [...head, 'Content-Type: text/plain; charset=utf-8', '', text, '', 'On Fri, 4 Dec 2026 at 22:00, Ann <chat@example.com> wrote:', '> Your parcel left today.', '', '-- ', 'Nina, sent from my phone', ''].join('\r\n');
}

describeEachBackend('replies by email', (backend) => {
  let box: Mailbox;
  let server: TestServer;
  let admin: Staff;
  beforeEach(async () => {
    box = await startMailbox();
    server = await startTestServer(backend, {
      env: { SMTP_URL: box.url, MAIL_FROM: 'Acme Support <chat@example.com>', OFFLINE_NOTIFY_EMAILS: 'team@example.com', PUBLIC_URL: 'https://chat.example.com', EMAIL_REPLY_DELAY_SECONDS: '1', INBOUND_EMAIL_SECRET: SECRET },
    });
    admin = await createAdmin(server);
  });
  afterEach(async () => {
    await server.close();
    await box.stop();
  });
  const inbound = (raw: string, secret: string | null = SECRET) => {
    const req = request(server.url).post('/api/inbound/email').set('Content-Type', 'message/rfc822');
    return (secret === null ? req : req.set('Authorization', `Bearer ${secret}`)).send(raw);
  };

  it('left message → the team’s mailbox → an operator answers → the customer’s mailbox → the customer’s mailed reply is back in the chat', async () => {
    const word = `norway${randomUUID().slice(0, 6)}`;
    const customer = await createSession(server.url, { customerName: 'Nina Night', customerEmail: 'nina@example.com', message: `Do you ship to ${word}?` });
    const id = customer.session.id;
    expect(customer.session.offline).toBe(true);
    const teamMail = await box.next((m) => (m.text ?? '').includes(word));
    expect(teamMail.text).toContain(`https://chat.example.com/console?session=${id}`);

    const ann = await createOperator(server.url, admin.token, { name: 'Ann' });
    // Ann comes online: the waiting chat is routed to her.
    await setStatus(server.url, ann.token, ann.id, 'online');
    await waitFor(async () => (await getSession(server.url, ann.token, id)).operatorId === ann.id, 5_000, 'the chat routed to Ann');
    await request(server.url).post(`/api/chat/sessions/${id}/messages`).set(bearer(ann.token)).send({ content: 'Internal: check the carrier', internal: true }).expect(201);
    await sendMessage(server.url, ann.token, id, { content: `Yes, we ship to ${word}: 3 days.` });
    await sendMessage(server.url, ann.token, id, { content: 'Anything else?' });

    const answer = await box.next((m) => m.subject === 'New reply from Ann' && (m.text ?? '').includes(word));
    expect(answer.to && !Array.isArray(answer.to) ? answer.to.value.map((v) => v.address) : []).toEqual(['nina@example.com']);
    expect(answer.text).toContain(`Yes, we ship to ${word}: 3 days.`);
    expect(answer.text).toContain('Anything else?');
    expect(answer.text).not.toContain('Internal');
    expect(replyToOf(answer)).toMatch(new RegExp(`^reply\\+${id}\\.[0-9a-f]+@example\\.com$`));
    // MAIL_FROM's name is what the customer's mail program shows; its address's domain makes the reply address.
    expect(answer.from?.value[0]).toMatchObject({ name: 'Acme Support', address: 'chat@example.com' });
    expect(answer.messageId).toMatch(/@example\.com>?$/);

    const back = await inbound(customerReply(replyToOf(answer), 'Great, thank you!'));
    expect(back.status).toBe(201);
    expect(back.body.data).toMatchObject({ sessionId: id, senderType: 'customer', content: 'Great, thank you!' });
    const seen = await listMessages(server.url, ann.token, id);
    expect(seen[seen.length - 1]?.content).toBe('Great, thank you!');
    // One mail for the burst: nothing more is mailed for those answers.
    await sleep(2_500);
    expect(box.mails.filter((m) => (m.text ?? '').includes('Anything else?'))).toHaveLength(1);
  }, 40_000);

  it('a connected customer gets no mail; once gone, the unseen answer is mailed', async () => {
    const customer = await createSession(server.url, { customerName: 'Cleo', customerEmail: 'cleo@example.com' });
    const socket = await connectCustomer(server.url, customer.customerToken);
    await setStatus(server.url, admin.token, admin.id, 'online');
    await waitFor(async () => (await getSession(server.url, admin.token, customer.session.id)).operatorId === admin.id, 5_000, 'the chat routed to the admin');
    const word = `connected${randomUUID().slice(0, 6)}`;
    await sendMessage(server.url, admin.token, customer.session.id, { content: word });
    await sleep(3_000);
    expect(box.mails.filter((m) => (m.text ?? '').includes(word))).toEqual([]);
    socket.disconnect();
    await box.next((m) => (m.text ?? '').includes(word), 15_000);
  }, 30_000);

  it('a reply mailed after the chat was closed is kept in it, and the chat opens again for an operator to read', async () => {
    const customer = await createSession(server.url, { customerName: 'Rosa', customerEmail: 'rosa@example.com', message: 'Where is my refund?' });
    const id = customer.session.id;
    await setStatus(server.url, admin.token, admin.id, 'online');
    await waitFor(async () => (await getSession(server.url, admin.token, id)).operatorId === admin.id, 5_000, 'the chat routed to the admin');
    await sendMessage(server.url, admin.token, id, { content: 'Your refund is on its way.' });
    const mail = await box.next((m) => (m.text ?? '').includes('Your refund is on its way.'));
    await request(server.url).put(`/api/chat/sessions/${id}/close`).set(bearer(admin.token)).send({}).expect(200);

    const reply = customerReply(replyToOf(mail), 'It has not arrived yet.');
    const back = await inbound(reply);
    expect(back.status).toBe(201);
    expect(back.body.data).toMatchObject({ sessionId: id, senderType: 'customer', content: 'It has not arrived yet.' });
    // Open again and routed (the admin is online, with a free seat), the reason in its events.
    await waitFor(async () => (await getSession(server.url, admin.token, id)).status === 'active', 5_000, 'the chat routed again');
    expect(await getSession(server.url, admin.token, id)).toMatchObject({ status: 'active', operatorId: admin.id, closedAt: null });
    const contents = (await listMessages(server.url, admin.token, id)).map((m) => m.content);
    const [reopened, kept] = [contents.indexOf('Chat reopened: the customer wrote again'), contents.indexOf('It has not arrived yet.')];
    expect(reopened).toBeGreaterThan(contents.indexOf('Your refund is on its way.'));
    expect(kept).toBeGreaterThan(reopened);
    expect((await sessionEvents(server.url, admin.token, id)).some((e) => e.type === 'queued' && e.detail?.reason === 'reopened: the customer replied by email')).toBe(true);
    // The same mail again (the provider retrying): kept once.
    expect((await inbound(reply)).status).toBe(200);
    expect((await listMessages(server.url, admin.token, id)).filter((m) => m.content === 'It has not arrived yet.')).toHaveLength(1);
  }, 30_000);

  it('inbound mail: a missing or wrong secret, a forged address, an HTML-only mail, an attachment alone, the same mail twice, a huge one', async () => {
    const customer = await createSession(server.url, { customerName: 'Ivy', customerEmail: 'ivy@example.com', message: 'hello' });
    const id = customer.session.id;
    await setStatus(server.url, admin.token, admin.id, 'online');
    await waitFor(async () => (await getSession(server.url, admin.token, id)).operatorId === admin.id, 5_000, 'the chat routed to the admin');
    await sendMessage(server.url, admin.token, id, { content: 'How can I help?' });
    const mail = await box.next((m) => (m.text ?? '').includes('How can I help?'));
    const address = replyToOf(mail);

    expectError(await inbound(customerReply(address, 'x'), null), 401, 'UNAUTHENTICATED');
    expectError(await inbound(customerReply(address, 'x'), 'not-the-secret-at-all'), 401, 'UNAUTHENTICATED');
    const forged = address.replace(/\.([0-9a-f]+)@/, (_m, sig: string) => `.${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}@`);
    expectError(await inbound(customerReply(forged, 'x')), 404, 'NOT_FOUND');
    expectError(await inbound(customerReply(`reply+${randomUUID()}.abcdef@example.com`, 'x')), 404, 'NOT_FOUND');
    expectError(await inbound(customerReply('someone@example.com', 'x')), 404, 'NOT_FOUND');
    expectError(await inbound('this is not a mail at all'), 404, 'NOT_FOUND');
    expectError(await request(server.url).post('/api/inbound/email').set('Authorization', `Bearer ${SECRET}`).set('Content-Type', 'message/rfc822').send(''), 400, 'VALIDATION_ERROR');

    // Found on Cc or Delivered-To too; HTML only becomes text, quoted history left out.
    const html = await inbound(customerReply('desk@example.com', '', { html: '<p>Is it <b>waterproof</b>?</p><blockquote>old</blockquote>', extraHeaders: `Delivered-To: ${address}` }));
    expect(html.status).toBe(201);
    expect(html.body.data.content).toBe('Is it waterproof?');
    const attachmentOnly = [
      'From: ivy@example.com',
      `To: ${address}`,
      'Subject: photo',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: image/png; name="a.png"',
      'Content-Transfer-Encoding: base64',
      '',
      'iVBORw0KGgo=',
      '--b1--',
      '',
    ].join('\r\n');
    expectError(await inbound(attachmentOnly), 400, 'VALIDATION_ERROR');
    const twice = customerReply(address, 'Only once please', { messageId: '<same-mail@mail.example.com>' });
    expect((await inbound(twice)).status).toBe(201);
    const again = await inbound(twice);
    expect(again.status).toBe(200);
    expect((await listMessages(server.url, admin.token, id)).filter((m) => m.content === 'Only once please')).toHaveLength(1);
    const huge = customerReply(address, 'x'.repeat(26 * 1024 * 1024));
    expectError(await inbound(huge), 413, 'PAYLOAD_TOO_LARGE');
    // A reply to a chat whose customer data was erased is refused: nobody is left to answer, nothing is kept.
    await request(server.url).delete(`/api/chat/sessions/${id}`).set(bearer(admin.token)).expect(200);
    expectError(await inbound(customerReply(address, 'late')), 409, 'SESSION_CLOSED');
    expect(await getSession(server.url, admin.token, id)).toMatchObject({ status: 'closed' });
    expect(await listMessages(server.url, admin.token, id)).toEqual([]);
  }, 60_000);

  it('transcripts: the customer’s to their own address at most 3 an hour, an operator’s to any address; notes never', async () => {
    const customer = await createSession(server.url, { customerName: 'Tara', customerEmail: 'tara@example.com', message: 'I need a copy' });
    const id = customer.session.id;
    await setStatus(server.url, admin.token, admin.id, 'online');
    await waitFor(async () => (await getSession(server.url, admin.token, id)).operatorId === admin.id, 5_000, 'the chat routed to the admin');
    await sendMessage(server.url, admin.token, id, { content: 'Here is your answer' });
    await request(server.url).post(`/api/chat/sessions/${id}/messages`).set(bearer(admin.token)).send({ content: 'secret note', internal: true }).expect(201);
    const transcript = (token: string, body: Record<string, unknown> = {}) => request(server.url).post(`/api/chat/sessions/${id}/transcript`).set(bearer(token)).send(body);

    expect((await transcript(customer.customerToken)).body.data).toEqual({ email: 'tara@example.com' });
    const mail = await box.next((m) => m.subject?.startsWith('Transcript of your chat') === true && to(m).includes('tara@example.com'));
    expect(mail.text).toContain('I need a copy');
    expect(mail.text).toContain('Here is your answer');
    expect(mail.text).not.toContain('secret note');
    expectError(await transcript(customer.customerToken, { email: 'someone-else@example.com' }), 403, 'FORBIDDEN');
    // By socket too: the second and third of the hour.
    const socket = await connectCustomer(server.url, customer.customerToken);
    expect(await call(socket, 'session:transcript', {})).toEqual({ email: 'tara@example.com' });
    expect((await transcript(customer.customerToken)).status).toBe(200);
    const fourth = await transcript(customer.customerToken);
    expectError(fourth, 429, 'RATE_LIMITED');
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(3_000);
    // An operator sends it anywhere, however often; another session's customer learns nothing.
    expect((await transcript(admin.token, { email: 'archive@example.com' })).body.data).toEqual({ email: 'archive@example.com' });
    await box.next((m) => to(m).includes('archive@example.com'));
    const stranger = await createSession(server.url, { customerName: 'Stranger' });
    expectError(await transcript(stranger.customerToken), 404, 'NOT_FOUND');
    const noEmail = await createSession(server.url, { customerName: 'Nobody' });
    expectError(await request(server.url).post(`/api/chat/sessions/${noEmail.session.id}/transcript`).set(bearer(noEmail.customerToken)).send({}), 409, 'CONFLICT');
    const events = await sessionEvents(server.url, admin.token, id);
    expect(events.filter((e) => e.type === 'transcript').map((e) => e.detail)).toEqual([
      { by: 'customer', email: 'tara@example.com' },
      { by: 'customer', email: 'tara@example.com' },
      { by: 'customer', email: 'tara@example.com' },
      { by: 'operator', email: 'archive@example.com' },
    ]);
  }, 40_000);

  it('without INBOUND_EMAIL_SECRET the inbound endpoint is not there (404), whatever is sent', async () => {
    const plain = await startTestServer(backend, { env: { SMTP_URL: box.url, MAIL_FROM: 'chat@example.com' } });
    try {
      const res = await request(plain.url).post('/api/inbound/email').set('Content-Type', 'message/rfc822').set('Authorization', `Bearer ${SECRET}`).send(customerReply('x@example.com', 'hi'));
      expectError(res, 404, 'NOT_FOUND');
    } finally {
      await plain.close();
    }
  });

  it('one address gets at most 10 customers’ transcripts an hour, however many chats are opened under it', async () => {
    const answers: number[] = [];
    for (let chat = 0; chat < 4; chat += 1) {
      const customer = await createSession(server.url, { customerName: 'Mallory', customerEmail: 'victim@example.com', message: `chat ${chat}` });
      for (let i = 0; i < 3; i += 1) answers.push((await request(server.url).post(`/api/chat/sessions/${customer.session.id}/transcript`).set(bearer(customer.customerToken)).send({})).status);
    }
    expect(answers).toEqual([...Array(10).fill(200), 429, 429]);
  }, 30_000);
});
