import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/**
 * Streams a response body into `file`, readable by its owner only (exports hold a tenant's data), through a
 * `.part` file renamed at the end: an interrupted download never looks like a finished one. Returns its size.
 */
export async function saveBody(body: ReadableStream<Uint8Array>, file: string): Promise<number> {
  const temp = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(body as WebReadableStream<Uint8Array>), fs.createWriteStream(temp, { mode: 0o600 }));
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  return fs.statSync(file).size;
}
