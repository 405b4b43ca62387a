import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { hashing, type BackupStorage, type StoredFile } from './backup-storage';

export interface S3Target {
  bucket: string;
  /** Folder inside the bucket; the tenant's id is appended. */
  prefix: string;
  region: string;
  /** An S3-compatible server (MinIO, …): path-style addressing. Unset: AWS. */
  endpoint: string | null;
  accessKeyId: string;
  secretAccessKey: string;
}

/** An S3 (or S3-compatible) bucket: `<prefix>/<instanceId>/<backup>/<file>`, uploads streamed in parts. */
export class S3Storage implements BackupStorage {
  private readonly client: S3Client;
  private readonly root: string;

  constructor(private readonly target: S3Target, instanceId: string) {
    this.client = new S3Client({
      region: target.region,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      ...(target.endpoint ? { endpoint: target.endpoint, forcePathStyle: true } : {}),
      // Checksums only where S3 requires them: S3-compatible servers do not all speak the newer ones.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 2,
      // A client per operation: no idle sockets left behind to hold the process open.
      requestHandler: { httpAgent: new http.Agent({ keepAlive: false }), httpsAgent: new https.Agent({ keepAlive: false }) },
    });
    this.root = [target.prefix.replace(/^\/+|\/+$/g, ''), instanceId].filter(Boolean).join('/');
  }

  async check() {
    const key = this.key(`.berth-check-${randomBytes(6).toString('hex')}`);
    const content = randomBytes(32);
    await this.call(() => this.client.send(new PutObjectCommand({ Bucket: this.target.bucket, Key: key, Body: content })));
    try {
      const got = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: key })));
      const back = Buffer.from(await got.Body!.transformToByteArray());
      if (!back.equals(content)) throw new Error('what was read back differs from what was written');
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: key })).catch(() => undefined);
    }
  }

  async write(file: string, from: Readable): Promise<StoredFile> {
    const { stream, result } = hashing();
    from.on('error', (err) => stream.destroy(err));
    const upload = new Upload({ client: this.client, params: { Bucket: this.target.bucket, Key: this.key(file), Body: from.pipe(stream) } });
    try {
      await this.call(() => upload.done());
    } catch (err) {
      // The writing side must end too, or whatever feeds it waits for ever.
      from.destroy(err as Error);
      throw err;
    }
    return result();
  }

  async read(file: string): Promise<Readable> {
    const got = await this.call(() => this.client.send(new GetObjectCommand({ Bucket: this.target.bucket, Key: this.key(file) })));
    return got.Body as Readable;
  }

  /** A server-side copy (CopyObject): nothing is uploaded again. S3 copies objects of up to 5 GB so. */
  async link(from: string, to: string) {
    const source = `${this.target.bucket}/${this.key(from).split('/').map(encodeURIComponent).join('/')}`;
    await this.call(() => this.client.send(new CopyObjectCommand({ Bucket: this.target.bucket, Key: this.key(to), CopySource: source })));
  }

  async removeDir(dir: string) {
    await this.removePrefix(`${this.key(dir)}/`);
  }

  async removeAll() {
    await this.removePrefix(this.root ? `${this.root}/` : '');
  }

  private async removePrefix(prefix: string) {
    for (let token: string | undefined; ; ) {
      const page = await this.call(() => this.client.send(new ListObjectsV2Command({ Bucket: this.target.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const object of page.Contents ?? []) {
        await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: object.Key! })));
      }
      if (!page.IsTruncated) return;
      token = page.NextContinuationToken;
    }
  }

  private key(file: string): string {
    if (file.split('/').some((part) => part === '..' || part === '')) throw new Error(`backup path ${file} leaves the backup folder`);
    return this.root ? `${this.root}/${file}` : file;
  }

  /** The SDK's errors name the S3 code (NoSuchBucket, InvalidAccessKeyId, …): keep it in the message. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const name = (err as { name?: string }).name;
      const message = (err as Error).message;
      throw new Error(name && !message.includes(name) ? `${name}: ${message}` : message, { cause: err });
    }
  }
}
