import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import request from 'supertest';
import { QueryTypes } from 'sequelize';
import type { Db } from '../../models/db';
import { bearer } from './http';

/** Files as customers send them, made here so that each test knows exactly what went in. */

/** A photo carrying what a phone writes into one (a description and an artist in EXIF): none of it may survive. */
export const EXIF_SECRET = 'GPS-52.5200N-13.4050E-secret';

export function jpegWithExif(width = 800, height = 600): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 80, b: 40 } } })
    .jpeg()
    .withExif({ IFD0: { ImageDescription: EXIF_SECRET, Artist: EXIF_SECRET } })
    .toBuffer();
}

/** A PNG of noise (so it does not compress): about width × height × 3 bytes. */
export function noisePng(width: number, height: number): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width, height, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer();
}

export function smallPng(width = 40, height = 30): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 0, g: 128, b: 255, alpha: 1 } } }).png().toBuffer();
}

/** A one-page PDF, as small as a valid one gets. */
export function pdf(text = 'Invoice 2026-001'): Buffer {
  const body = `BT /F1 12 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${body.length} >>\nstream\n${body}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(out.length);
    out += `${index + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** The start of a Windows program: what file-type (and Windows) take for one. */
export function exe(): Buffer {
  const bytes = Buffer.alloc(512);
  bytes.write('MZ', 0, 'latin1');
  bytes.writeUInt32LE(0x80, 0x3c);
  bytes.write('PE\0\0', 0x80, 'latin1');
  return bytes;
}

/** POSTs one file as a multipart message; `fields` are sent before the file, as browsers do. */
export function upload(
  url: string,
  token: string,
  sessionId: string,
  file: { bytes: Buffer; name: string; type?: string },
  fields: Record<string, string> = {},
): request.Test {
  let req = request(url).post(`/api/chat/sessions/${sessionId}/messages`).set(bearer(token));
  for (const [name, value] of Object.entries(fields)) req = req.field(name, value);
  return req.attach('file', file.bytes, { filename: file.name, contentType: file.type ?? 'application/octet-stream' });
}

/** Fetches a link the server gave (relative to it), as the pages do: no token unless given. */
export function fetchLink(url: string, link: string, token?: string): request.Test {
  const req = request(url).get(link).buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
  return token ? req.set(bearer(token)) : req;
}

/** What the server keeps of files: attachment rows, database chunks, and files on disk (under `dir`, if given). */
export async function storedFiles(db: Db, dir?: string): Promise<{ rows: number; chunks: number; onDisk: number }> {
  const count = async (table: string): Promise<number> => {
    const [row] = await db.sequelize.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${table}`, { type: QueryTypes.SELECT });
    return Number(row?.n ?? 0);
  };
  let onDisk = 0;
  if (dir) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    onDisk = entries.filter((entry) => entry.isFile()).length;
  }
  return { rows: await count('chat_attachments'), chunks: await count('chat_attachment_chunks'), onDisk };
}

/** A fresh directory for a disk store. */
export function tempDir(prefix = 'chat-files-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}
