import http from 'node:http';
import type { Socket } from 'node:net';
import request from 'supertest';
import { describeEachBackend } from '../helpers/backends';
import { bearer, closeSession, createSession, expectError, type Customer } from '../helpers/api';
import { exe, fetchLink, noisePng, pdf, smallPng, storedFiles, tempDir, upload } from '../helpers/files';
import { sharedServer } from '../helpers/scenarios';

/**
 * Uploads a real chat product gets from careless and hostile users (issue "Files and images"): each answered
 * clearly, the server stays up, and nothing half-stored remains.
 */
const LIMIT = 1024 * 1024;

describeEachBackend('bad uploads', (backend) => {
  for (const storage of ['database', 'disk'] as const) {
    describe(`stored in the ${storage}`, () => {
      const dir = storage === 'disk' ? tempDir() : undefined;
      const stage = sharedServer(backend, { MAX_UPLOAD_BYTES: String(LIMIT), ATTACHMENT_STORAGE: storage, ...(dir ? { ATTACHMENT_DIR: dir } : {}) });
      let customer: Customer;
      let before: Awaited<ReturnType<typeof storedFiles>>;
      beforeEach(async () => {
        customer = await createSession(stage.url, { customerName: 'Mallory' });
        before = await storedFiles(stage.server.server.db, dir);
      });
      afterEach(async () => {
        // Whatever happened, the server still answers.
        expect((await request(stage.url).get('/health')).status).toBe(200);
      });
      const send = (file: { bytes: Buffer; name: string; type?: string }, fields?: Record<string, string>) => upload(stage.url, customer.customerToken, customer.session.id, file, fields);
      const nothingStored = async (): Promise<void> => expect(await storedFiles(stage.server.server.db, dir)).toEqual(before);
      const refusedFile = async (res: request.Response, status = 400): Promise<void> => {
        expectError(res, status, status === 400 ? 'VALIDATION_ERROR' : 'PAYLOAD_TOO_LARGE');
        if (status === 400) expect(res.body.error.details).toEqual([expect.objectContaining({ field: 'file' })]);
        await nothingStored();
      };

      it('an empty file: 400', async () => {
        await refusedFile(await send({ bytes: Buffer.alloc(0), name: 'empty.png' }));
      });

      it('a file one byte over MAX_UPLOAD_BYTES: 413; a far larger one is cut off, the server reading at most the limit and a little more', async () => {
        const png = await noisePng(500, 500);
        const overByOne = Buffer.concat([png, Buffer.alloc(LIMIT + 1 - png.length)]);
        await refusedFile(await send({ bytes: overByOne, name: 'big.png' }), 413);

        const read = await rawUpload(stage, customer, 8 * LIMIT);
        expect(read.status).toBe(413);
        expect(read.serverRead).toBeLessThan(LIMIT + 256 * 1024);
        expect(read.clientSent).toBeLessThan(8 * LIMIT);
        await nothingStored();
        // Exactly the limit is accepted.
        const atLimit = Buffer.concat([Buffer.from('a'.repeat(LIMIT - 1)), Buffer.from('\n')]);
        expect((await send({ bytes: atLimit, name: 'limit.txt' })).status).toBe(201);
      });

      it('a client that stalls half-way through its upload holds nobody else up, and leaves nothing behind', async () => {
        const boundary = 'st4ll';
        const stalled = http.request(`${stage.url}/api/chat/sessions/${customer.session.id}/messages`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${customer.customerToken}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(LIMIT) },
        });
        stalled.on('error', () => undefined);
        stalled.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n${'x'.repeat(100_000)}`);
        try {
          const other = await createSession(stage.url, { customerName: 'Patient' });
          const started = Date.now();
          const res = await upload(stage.url, other.customerToken, other.session.id, { bytes: pdf(), name: 'quick.pdf' });
          expect(res.status).toBe(201);
          expect(Date.now() - started).toBeLessThan(5_000);
          before = await storedFiles(stage.server.server.db, dir);
        } finally {
          stalled.destroy();
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        await nothingStored();
      });

      it('a PNG named .exe is stored as the image it is, named to match; a program named .png is refused', async () => {
        const res = await send({ bytes: await smallPng(), name: 'setup.exe', type: 'application/x-msdownload' });
        expect(res.status).toBe(201);
        expect(res.body.data).toMatchObject({ type: 'image', attachment: { fileName: 'setup.exe.png', contentType: 'image/png' } });
        expect((await fetchLink(stage.url, res.body.data.attachment.url)).headers['content-type']).toBe('image/png');
        before = await storedFiles(stage.server.server.db, dir);
        await refusedFile(await send({ bytes: exe(), name: 'cat.png', type: 'image/png' }));
      });

      it('a truncated image is refused; a polyglot is stored only as the clean image it also is, or refused', async () => {
        const png = await noisePng(300, 300);
        await refusedFile(await send({ bytes: png.subarray(0, Math.floor(png.length / 2)), name: 'half.png' }));
        // Cut off inside the header that names the type: the type cannot be read from the bytes.
        await refusedFile(await send({ bytes: png.subarray(0, 8), name: 'signature.png' }));
        await refusedFile(await send({ bytes: Buffer.from([0x49, 0x44, 0x33, 0x04]), name: 'song.mp3' }));
        const payload = '<html><script>alert(document.cookie)</script></html>';
        const polyglot = Buffer.concat([await smallPng(), Buffer.from(payload)]);
        const res = await send({ bytes: polyglot, name: 'poly.png' });
        if (res.status === 201) {
          const served = await fetchLink(stage.url, res.body.data.attachment.url);
          expect((served.body as Buffer).includes(Buffer.from('<script>'))).toBe(false);
          expect(served.headers['content-type']).toBe('image/png');
        } else {
          await refusedFile(res);
        }
      });

      it('names are cleaned: no path, NUL, bidi override or 1,000 characters survive', async () => {
        const named = async (name: string): Promise<string> => {
          const res = await send({ bytes: Buffer.from('hello\n'), name });
          expect({ name, status: res.status, body: res.status === 201 ? undefined : res.body }).toEqual({ name, status: 201, body: undefined });
          return res.body.data.attachment.fileName as string;
        };
        expect(await named('../../../etc/passwd')).toBe('passwd.txt');
        expect(await named('..\\..\\boot.ini')).toBe('boot.ini.txt');
        // A NUL written raw into the part's header makes it no valid multipart (400 naming the body); sent
        // percent-encoded in filename* (RFC 5987), it arrives in the name and is taken out.
        const rawNul = await send({ bytes: Buffer.from('hello\n'), name: 'notes\u0000.txt' });
        expectError(rawNul, 400, 'VALIDATION_ERROR');
        expect(rawNul.body.error.details).toEqual([expect.objectContaining({ field: 'body' })]);
        const boundary = 'b0undary';
        const encoded = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''notes%00%E2%80%AE.txt\r\nContent-Type: text/plain\r\n\r\nhello\n\r\n--${boundary}--\r\n`,
        );
        const res = await request(stage.url)
          .post(`/api/chat/sessions/${customer.session.id}/messages`)
          .set(bearer(customer.customerToken))
          .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
          .send(encoded);
        expect(res.status).toBe(201);
        expect(res.body.data.attachment.fileName).toBe('notes.txt');
        expect(await named('invoice\u202Etxt.exe')).toBe('invoicetxt.exe.txt');
        const long = await named(`${'x'.repeat(1000)}.txt`);
        expect([...long]).toHaveLength(200);
        expect(long.endsWith('.txt')).toBe(true);
      });

      it('two files in one message, or none: 400', async () => {
        const two = request(stage.url)
          .post(`/api/chat/sessions/${customer.session.id}/messages`)
          .set(bearer(customer.customerToken))
          .attach('file', pdf(), 'a.pdf')
          .attach('file', pdf(), 'b.pdf');
        await refusedFile(await two);
        const none = request(stage.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(customer.customerToken)).field('content', 'where is my file?');
        await refusedFile(await none);
        const wrongField = request(stage.url).post(`/api/chat/sessions/${customer.session.id}/messages`).set(bearer(customer.customerToken)).attach('document', pdf(), 'a.pdf');
        expectError(await wrongField, 400, 'VALIDATION_ERROR');
        await nothingStored();
      });

      it("to a closed session: 409; to another customer's session: 404; a body that is neither JSON nor multipart: 415", async () => {
        await closeSession(stage.url, customer.customerToken, customer.session.id);
        expectError(await send({ bytes: pdf(), name: 'late.pdf' }), 409, 'SESSION_CLOSED');
        const other = await createSession(stage.url, { customerName: 'Victim' });
        expectError(await upload(stage.url, customer.customerToken, other.session.id, { bytes: pdf(), name: 'x.pdf' }), 404, 'NOT_FOUND');
        await nothingStored();
        const text = await request(stage.url).post(`/api/chat/sessions/${other.session.id}/messages`).set(bearer(other.customerToken)).set('Content-Type', 'text/plain').send('hello');
        expectError(text, 415, 'UNSUPPORTED_MEDIA_TYPE');
        // Only the message endpoint takes files.
        const elsewhere = await request(stage.url).post('/api/chat/sessions').attach('file', pdf(), 'a.pdf');
        expectError(elsewhere, 415, 'UNSUPPORTED_MEDIA_TYPE');
      });
    });
  }
});

/**
 * Streams a multipart upload of `size` bytes in 64 KB pieces until the server answers, as a slow client would,
 * and says how much the client got to send and how much the server read off the connection.
 */
async function rawUpload(stage: { url: string; server: { server: { httpServer: http.Server } } }, customer: Customer, size: number): Promise<{ status: number; clientSent: number; serverRead: number }> {
  const sockets: Socket[] = [];
  const onConnection = (socket: Socket): void => void sockets.push(socket);
  stage.server.server.httpServer.on('connection', onConnection);
  const boundary = 'bound4ry';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="huge.png"\r\nContent-Type: image/png\r\n\r\n`);
  const piece = Buffer.alloc(64 * 1024, 7);
  let clientSent = 0;
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${stage.url}/api/chat/sessions/${customer.session.id}/messages`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${customer.customerToken}`, 'Content-Type': `multipart/form-data; boundary=${boundary}`, 'Content-Length': String(head.length + size) },
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (error) => (answered ? undefined : reject(error)));
      req.write(head);
      const pump = (): void => {
        while (!answered && clientSent < size) {
          clientSent += piece.length;
          if (!req.write(piece)) {
            req.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const serverRead = Math.max(...sockets.map((socket) => socket.bytesRead));
    return { status, clientSent, serverRead };
  } finally {
    stage.server.server.httpServer.off('connection', onConnection);
  }
}
