import type { Socket } from 'socket.io-client';
import { describeEachBackend } from '../helpers/backends';
import { CROSS_MS, chatAcross, deploymentPerTest, describeCluster, operatorOn, startDeployment } from '../helpers/cluster';
import { liveChat, serverPerTest } from '../helpers/scenarios';
import { call, cmid, connectOperator, connectedOperator, expectNoEvent, nextEvent, refused, type MessageMsg } from '../helpers/sockets';

/**
 * Agent collision (PROTOCOL.md `session:viewing`, `session:viewers`): an operator who opens a conversation hears
 * it as its holder does, and the holder and every viewer are told who has it open or is typing in it, one entry
 * per operator, until their last socket drops.
 */
interface ViewersMsg {
  sessionId: string;
  operators: Array<{ id: number; name: string; typing: boolean }>;
}

const who = (payload: ViewersMsg): string[] => payload.operators.map((o) => `${o.name}${o.typing ? ' (typing)' : ''}`);

/** The next `session:viewers` of the session on each of these sockets (each hears every change, in order). */
async function expectViewers(sockets: Socket[], sessionId: string, expected: string[], timeoutMs?: number): Promise<void> {
  for (const socket of sockets) expect(who(await nextEvent<ViewersMsg>(socket, 'session:viewers', timeoutMs, (p) => p.sessionId === sessionId))).toEqual(expected);
}

describeEachBackend('agent collision', (backend) => {
  const stage = serverPerTest(backend);

  it('a viewer hears the conversation; the holder and the viewers are told who views and who types, until they leave', async () => {
    const { url, admin } = stage;
    const { op: ann, customer } = await liveChat(url, admin.token, { operator: { name: 'Ann' } });
    const dana = await connectedOperator(url, admin.token, { name: 'Dana' });
    const id = customer.session.id;

    await call(dana.socket, 'session:viewing', { sessionId: id, viewing: true });
    await expectViewers([ann.socket, dana.socket], id, ['Dana']);

    // Dana now hears the chat as Ann does: the customer's messages, notes, the customer typing.
    const said = await call<{ id: number }>(customer.socket, 'message:send', { content: 'Is anyone there?', clientMessageId: cmid() });
    expect((await nextEvent<MessageMsg>(dana.socket, 'message:new', undefined, (p) => p.message.id === said.id)).message.content).toBe('Is anyone there?');
    const note = await call<{ id: number }>(ann.socket, 'message:send', { sessionId: id, content: 'Dana, can you take this one?', clientMessageId: cmid(), internal: true });
    expect((await nextEvent<MessageMsg>(dana.socket, 'message:new', undefined, (p) => p.message.id === note.id)).message.internal).toBe(true);
    await call(customer.socket, 'typing', { isTyping: true });
    expect(await nextEvent(dana.socket, 'typing')).toEqual({ sessionId: id, senderType: 'customer', isTyping: true });

    // Ann types: both are told who types.
    await call(ann.socket, 'typing', { sessionId: id, isTyping: true });
    await expectViewers([ann.socket, dana.socket], id, ['Ann (typing)', 'Dana']);
    await call(ann.socket, 'typing', { sessionId: id, isTyping: false });
    await expectViewers([ann.socket, dana.socket], id, ['Ann', 'Dana']);

    // A second tab of Dana's is the same Dana (nothing new to tell); only her last socket leaving takes her off.
    const danaTab = await connectOperator(url, dana.token);
    await call(danaTab, 'session:viewing', { sessionId: id, viewing: true });
    dana.socket.disconnect();
    await expectNoEvent(ann.socket, 'session:viewers', 400);
    danaTab.disconnect();
    await expectViewers([ann.socket], id, ['Ann']);
    await call(ann.socket, 'session:viewing', { sessionId: id, viewing: false });
    // Ann, the holder, is told even when she views no more.
    await expectViewers([ann.socket], id, []);
    // Not viewing any more: Ann still hears her own chat as its holder; nobody else does.
    await call(customer.socket, 'message:send', { content: 'still there?', clientMessageId: cmid() });
    await nextEvent<MessageMsg>(ann.socket, 'message:new', undefined, (p) => p.message.content === 'still there?');
  });

  it('writing a note shows as typing to the colleagues, whoever holds the chat, and never to the customer', async () => {
    const { url, admin } = stage;
    const { op: ann, customer } = await liveChat(url, admin.token, { operator: { name: 'Ann' } });
    const dana = await connectedOperator(url, admin.token, { name: 'Dana' });
    const id = customer.session.id;
    await call(dana.socket, 'session:viewing', { sessionId: id, viewing: true });
    await expectViewers([ann.socket, dana.socket], id, ['Dana']);

    // Dana does not hold the chat: a reply's typing is refused her, a note's is not, and Ann sees her at it.
    await refused(dana.socket, 'typing', { sessionId: id, isTyping: true }, 'FORBIDDEN');
    await call(dana.socket, 'typing', { sessionId: id, isTyping: true, internal: true });
    await expectViewers([ann.socket, dana.socket], id, ['Dana (typing)']);
    await call(dana.socket, 'typing', { sessionId: id, isTyping: false, internal: true });
    await expectViewers([ann.socket, dana.socket], id, ['Dana']);
    // Ann writes a note in her own chat: Dana sees her typing; the customer hears of neither.
    await call(ann.socket, 'typing', { sessionId: id, isTyping: true, internal: true });
    await expectViewers([ann.socket, dana.socket], id, ['Ann (typing)', 'Dana']);
    await expectNoEvent(customer.socket, 'typing', 400);
    // A note may be written in a closed chat too; an unknown session is refused.
    await call(ann.socket, 'session:close', { sessionId: id });
    await call(dana.socket, 'typing', { sessionId: id, isTyping: true, internal: true });
    await refused(dana.socket, 'typing', { sessionId: '00000000-0000-4000-8000-000000000000', isTyping: true, internal: true }, 'NOT_FOUND');
    await refused(dana.socket, 'typing', { sessionId: id, isTyping: true, internal: 'yes' }, 'VALIDATION_ERROR');
  });

  it('a quick open-and-close (a tab switch) ends closed: the operator hears the chat no more', async () => {
    const { url, admin } = stage;
    const { customer } = await liveChat(url, admin.token);
    const dana = await connectedOperator(url, admin.token, { name: 'Dana' });
    const sessionId = customer.session.id;
    await Promise.all([call(dana.socket, 'session:viewing', { sessionId, viewing: true }), call(dana.socket, 'session:viewing', { sessionId, viewing: false })]);
    await call(customer.socket, 'message:send', { content: 'only for Ann', clientMessageId: cmid() });
    await expectNoEvent(dana.socket, 'message:new', 400);
  });

  it('refuses a bad payload, an unknown session and a customer, and tells nobody', async () => {
    const { url, admin } = stage;
    const { op: ann, customer } = await liveChat(url, admin.token);
    const dana = await connectedOperator(url, admin.token, { name: 'Dana' });
    await refused(dana.socket, 'session:viewing', { sessionId: '00000000-0000-4000-8000-000000000000', viewing: true }, 'NOT_FOUND');
    await refused(dana.socket, 'session:viewing', { sessionId: customer.session.id, viewing: 'yes' }, 'VALIDATION_ERROR');
    await refused(dana.socket, 'session:viewing', { sessionId: 'not-a-session', viewing: true }, 'VALIDATION_ERROR');
    await refused(customer.socket, 'session:viewing', { sessionId: customer.session.id, viewing: true }, 'NOT_FOUND');
    await expectNoEvent(ann.socket, 'session:viewers', 300);
  });
});

describeCluster('agent collision across two processes [mariadb+redis]', () => {
  const cluster = deploymentPerTest();
  beforeEach(() => startDeployment(cluster));

  it('a viewer on the other process hears the chat and is listed; dropping there takes them off', async () => {
    const { op: bea, customer } = await chatAcross(cluster);
    const id = customer.session.id;
    const dana = await operatorOn(cluster, cluster.a!, 'Dana on A');
    await call(dana.socket, 'session:viewing', { sessionId: id, viewing: true });
    await expectViewers([bea.socket, dana.socket], id, ['Dana on A'], CROSS_MS);
    const said = await call<{ id: number }>(customer.socket, 'message:send', { content: 'hello both', clientMessageId: cmid() });
    expect((await nextEvent<MessageMsg>(dana.socket, 'message:new', CROSS_MS, (p) => p.message.id === said.id)).message.content).toBe('hello both');
    await call(bea.socket, 'session:viewing', { sessionId: id, viewing: true });
    await expectViewers([bea.socket, dana.socket], id, ['Bea on B', 'Dana on A'], CROSS_MS);
    dana.socket.disconnect();
    await expectViewers([bea.socket], id, ['Bea on B'], CROSS_MS);
  });
});
