import request from 'supertest';
import sharp from 'sharp';
import { describeEachBackend } from '../helpers/backends';
import { bearer, createSession, expectError, listMessages, type MessageBody } from '../helpers/api';
import { EXIF_SECRET, fetchLink, jpegWithExif, pdf, storedFiles, tempDir, upload } from '../helpers/files';
import { liveChat, serverPerTest } from '../helpers/scenarios';
import { nextEvent } from '../helpers/sockets';
import { sleep } from '../helpers/wait';

/**
 * Files and images in chats (PROTOCOL.md "Files and images"), as the two sides see them, with each store: the
 * database's blob table (the default) and a directory.
 */
const LINK = /^\/api\/chat\/attachments\/[0-9a-f-]{36}(\/thumbnail)?\?exp=\d+&sig=[\w-]+$/;

describeEachBackend('files in chats', (backend) => {
  for (const storage of ['database', 'disk'] as const) {
    describe(`stored in the ${storage}`, () => {
      const dir = storage === 'disk' ? tempDir() : undefined;
      const env = { ATTACHMENT_STORAGE: storage, ...(dir ? { ATTACHMENT_DIR: dir } : {}) };
      const stage = serverPerTest(backend, env);

      it("a customer's photo reaches the operator as an image: no metadata kept, a thumbnail, full size by its link", async () => {
        const { op, customer } = await liveChat(stage.url, stage.admin.token);
        const photo = await jpegWithExif(800, 600);
        expect(photo.includes(EXIF_SECRET)).toBe(true);
        const heard = nextEvent<{ message: MessageBody }>(op.socket, 'message:new');
        const res = await upload(stage.url, customer.customerToken, customer.session.id, { bytes: photo, name: 'holiday.jpg', type: 'image/jpeg' }, { content: 'the broken part', clientMessageId: 'photo-1' });
        expect(res.status).toBe(201);
        const message = res.body.data as MessageBody;
        expect(message).toMatchObject({ type: 'image', content: 'the broken part', senderType: 'customer', clientMessageId: 'photo-1' });
        expect(message.attachment).toMatchObject({ fileName: 'holiday.jpg', contentType: 'image/jpeg', width: 800, height: 600 });
        expect(message.attachment?.url).toMatch(LINK);
        expect(message.attachment?.thumbnailUrl).toMatch(LINK);
        expect((await heard).message).toMatchObject({ id: message.id, type: 'image', attachment: { id: message.attachment?.id, fileName: 'holiday.jpg' } });

        const full = await fetchLink(stage.url, message.attachment?.url as string);
        expect(full.status).toBe(200);
        expect(full.headers).toMatchObject({ 'content-type': 'image/jpeg', 'x-content-type-options': 'nosniff', 'cache-control': 'private' });
        expect(full.headers['content-disposition']).toMatch(/^inline;/);
        const served = full.body as Buffer;
        expect(served.length).toBe(message.attachment?.size);
        expect(served.includes(EXIF_SECRET)).toBe(false);
        expect((await sharp(served).metadata()).exif).toBeUndefined();
        expect(await sharp(served).metadata()).toMatchObject({ format: 'jpeg', width: 800, height: 600 });

        const thumb = await fetchLink(stage.url, message.attachment?.thumbnailUrl as string);
        expect(thumb.status).toBe(200);
        expect(thumb.headers['content-type']).toBe('image/webp');
        // Saved from the browser, it is named for what it is.
        expect(thumb.headers['content-disposition']).toBe(`inline; filename="holiday.webp"; filename*=UTF-8''holiday.webp`);
        expect(await sharp(thumb.body as Buffer).metadata()).toMatchObject({ format: 'webp', width: 320, height: 240 });

        // Every later read carries the file with links of its own.
        const [listed] = (await listMessages(stage.url, op.token, customer.session.id)).filter((m) => m.id === message.id);
        expect(listed?.attachment).toMatchObject({ id: message.attachment?.id, size: message.attachment?.size });
        expect(listed?.attachment?.url).toMatch(LINK);
        expect(await storedFiles(stage.server.server.db, dir)).toMatchObject({ rows: 1, ...(dir ? { onDisk: 2 } : { chunks: expect.any(Number) }) });
      });

      it("an operator's PDF downloads under its name, byte for byte, by link or with the customer's own token only", async () => {
        const { op, customer } = await liveChat(stage.url, stage.admin.token);
        const invoice = pdf();
        const heard = nextEvent<{ message: MessageBody }>(customer.socket, 'message:new');
        const res = await upload(stage.url, op.token, customer.session.id, { bytes: invoice, name: 'Invoice März.pdf' });
        expect(res.status).toBe(201);
        const message = res.body.data as MessageBody;
        expect(message).toMatchObject({ type: 'file', content: '', senderType: 'operator', senderName: op.operator.name });
        expect(message.attachment).toMatchObject({ fileName: 'Invoice März.pdf', contentType: 'application/pdf', size: invoice.length, width: null, height: null, thumbnailUrl: null });
        expect((await heard).message.attachment?.id).toBe(message.attachment?.id);

        const link = message.attachment?.url as string;
        const byLink = await fetchLink(stage.url, link);
        expect(byLink.status).toBe(200);
        expect(byLink.headers['content-type']).toBe('application/pdf');
        expect(byLink.headers['content-disposition']).toBe(`attachment; filename="Invoice M_rz.pdf"; filename*=UTF-8''Invoice%20M%C3%A4rz.pdf`);
        expect(Buffer.compare(byLink.body as Buffer, invoice)).toBe(0);

        const bare = `/api/chat/attachments/${message.attachment?.id}`;
        expect((await fetchLink(stage.url, bare, customer.customerToken)).status).toBe(200);
        expect((await fetchLink(stage.url, bare, op.token)).status).toBe(200);
        const stranger = await createSession(stage.url, { customerName: 'Someone Else' });
        expectError(await request(stage.url).get(bare).set(bearer(stranger.customerToken)), 404, 'NOT_FOUND');
        expectError(await request(stage.url).get(bare), 404, 'NOT_FOUND');
        expectError(await request(stage.url).get(link.replace(/sig=./, (s) => (s.endsWith('A') ? 'sig=B' : 'sig=A'))), 404, 'NOT_FOUND');
        expectError(await request(stage.url).get(link.replace(/exp=\d+/, (s) => `exp=${Number(s.slice(4)) + 1}`)), 404, 'NOT_FOUND');
        // A thumbnail's link is no link to the file, nor the other way round.
        expectError(await request(stage.url).get(`${bare}/thumbnail${link.slice(link.indexOf('?'))}`), 404, 'NOT_FOUND');
      });

      it('a file larger than a database chunk comes back whole; a retry with the same clientMessageId stores nothing twice', async () => {
        const { op, customer } = await liveChat(stage.url, stage.admin.token);
        const lines = Array.from({ length: 25_000 }, (_, i) => `${String(i).padStart(6, '0')} order line, quantity ${i % 7}\n`).join('');
        const log = Buffer.from(lines, 'utf8');
        expect(log.length).toBeGreaterThan(600 * 1024);
        const send = () => upload(stage.url, customer.customerToken, customer.session.id, { bytes: log, name: 'orders.csv', type: 'text/csv' }, { clientMessageId: 'log-1' });
        const first = await send();
        expect(first.status).toBe(201);
        expect(first.body.data.attachment).toMatchObject({ fileName: 'orders.csv', contentType: 'text/plain', size: log.length });
        const again = await send();
        expect(again.status).toBe(200);
        expect(again.body.data).toMatchObject({ id: first.body.data.id, attachment: { id: first.body.data.attachment.id } });
        // Two at once with a new id: one message, one file.
        const [x, y] = await Promise.all([
          upload(stage.url, customer.customerToken, customer.session.id, { bytes: log, name: 'again.txt' }, { clientMessageId: 'log-2' }),
          upload(stage.url, customer.customerToken, customer.session.id, { bytes: log, name: 'again.txt' }, { clientMessageId: 'log-2' }),
        ]);
        expect([x.status, y.status].sort()).toEqual([200, 201]);
        expect(x.body.data.id).toBe(y.body.data.id);
        expect((await storedFiles(stage.server.server.db, dir)).rows).toBe(2);
        expect((await listMessages(stage.url, op.token, customer.session.id)).filter((m) => m.attachment !== null)).toHaveLength(2);
        // A retry once its sender could have reconnected (over a second later) is told again; the file stays stored once.
        const isFirst = (p: { message: MessageBody }): boolean => p.message.id === first.body.data.id;
        await nextEvent(op.socket, 'message:new', undefined, isFirst);
        await sleep(1_100);
        expect((await send()).status).toBe(200);
        expect((await nextEvent<{ message: MessageBody }>(op.socket, 'message:new', undefined, isFirst)).message.attachment?.id).toBe(first.body.data.attachment.id);
        expect((await storedFiles(stage.server.server.db, dir)).rows).toBe(2);

        const served = await fetchLink(stage.url, first.body.data.attachment.url);
        expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(served.headers['content-disposition']).toMatch(/^attachment;/);
        expect(Buffer.compare(served.body as Buffer, log)).toBe(0);
      });

      it("a text file saved in UTF-16 (Windows' Notepad) is taken as the text it is, and served as UTF-8", async () => {
        const { customer } = await liveChat(stage.url, stage.admin.token);
        const text = 'Fehlerprotokoll: Größe überschritten\r\n日本語の行\r\n';
        const little = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
        const big = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
        for (const [bytes, name] of [
          [little, 'error.log'],
          [big, 'error-be.txt'],
        ] as const) {
          const res = await upload(stage.url, customer.customerToken, customer.session.id, { bytes, name });
          expect(res.status).toBe(201);
          expect(res.body.data).toMatchObject({ type: 'file', attachment: { fileName: name, contentType: 'text/plain', size: Buffer.byteLength(text) } });
          const served = await fetchLink(stage.url, res.body.data.attachment.url);
          expect(served.headers['content-type']).toBe('text/plain; charset=utf-8');
          expect((served.body as Buffer).toString('utf8')).toBe(text);
        }
        // UTF-16 holding control characters is no text file.
        const binary = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\u0000\u0001b', 'utf16le')]);
        expectError(await upload(stage.url, customer.customerToken, customer.session.id, { bytes: binary, name: 'odd.txt' }), 400, 'VALIDATION_ERROR');
      });
    });
  }

  describe('image formats', () => {
    const stage = serverPerTest(backend);

    it('GIF (animated too), WebP and PNG with transparency come back in their own format, with a WebP thumbnail', async () => {
      const { op, customer } = await liveChat(stage.url, stage.admin.token);
      const frame = (r: number) => sharp({ create: { width: 400, height: 100, channels: 4, background: { r, g: 0, b: 0, alpha: 0.5 } } }).raw().toBuffer();
      // Two frames stacked, read as an animation of two pages.
      const animated = await sharp(Buffer.concat([await frame(255), await frame(0)]), { raw: { width: 400, height: 200, channels: 4, pageHeight: 100 } })
        .gif()
        .toBuffer();
      const images: Array<[string, Buffer, string]> = [
        ['spinner.gif', animated, 'image/gif'],
        ['photo.webp', await sharp({ create: { width: 640, height: 480, channels: 3, background: '#336699' } }).webp().toBuffer(), 'image/webp'],
        ['logo.png', await sharp({ create: { width: 300, height: 300, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer(), 'image/png'],
      ];
      for (const [name, bytes, type] of images) {
        const res = await upload(stage.url, op.token, customer.session.id, { bytes, name });
        expect({ name, status: res.status }).toEqual({ name, status: 201 });
        expect(res.body.data).toMatchObject({ type: 'image', attachment: { fileName: name, contentType: type } });
        const served = await fetchLink(stage.url, res.body.data.attachment.url);
        expect(served.headers['content-type']).toBe(type);
        const meta = await sharp(served.body as Buffer, { animated: true }).metadata();
        expect(meta.format).toBe(type.slice('image/'.length));
        if (name === 'spinner.gif') expect({ pages: meta.pages, height: res.body.data.attachment.height }).toEqual({ pages: 2, height: 100 });
        if (name === 'logo.png') expect(meta.hasAlpha).toBe(true);
        expect((await fetchLink(stage.url, res.body.data.attachment.thumbnailUrl)).headers['content-type']).toBe('image/webp');
      }
    });
  });

  describe('links', () => {
    const stage = serverPerTest(backend, { ATTACHMENT_URL_TTL_SECONDS: '1' });

    it('expire after ATTACHMENT_URL_TTL_SECONDS; every read hands out fresh ones', async () => {
      const { op, customer } = await liveChat(stage.url, stage.admin.token);
      const sent = await upload(stage.url, op.token, customer.session.id, { bytes: pdf(), name: 'terms.pdf' });
      const link = sent.body.data.attachment.url as string;
      expect((await fetchLink(stage.url, link)).status).toBe(200);
      await sleep(2_100);
      expectError(await request(stage.url).get(link), 404, 'NOT_FOUND');
      const [fresh] = (await listMessages(stage.url, customer.customerToken, customer.session.id)).filter((m) => m.attachment);
      expect(fresh?.attachment?.url).not.toBe(link);
      expect((await fetchLink(stage.url, fresh?.attachment?.url as string)).status).toBe(200);
    });
  });
});
