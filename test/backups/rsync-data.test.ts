import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { extract } from 'tar-stream';
import { BackupKeys } from '../../services/backups/backup-crypto';
import { FilesystemStorage } from '../../services/backups/backup-storage';
import { RsyncData, type Listing } from '../../services/backups/rsync-data';

/** The rsync format's data on its own: a tar in, files on a filesystem target, a tar back out; no engine needed. */
describe('rsync data', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-rsync-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const tarOf = (dir: string) => spawn('tar', ['-cf', '-', '-C', dir, 'data'], { stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
  const noRefetch = async (): Promise<NodeJS.ReadableStream> => {
    throw new Error('nothing should be fetched again');
  };
  const unpack = async (tar: NodeJS.ReadableStream) => {
    const out: Record<string, string> = {};
    for await (const item of tar.pipe(extract())) {
      const chunks: Buffer[] = [];
      for await (const chunk of item as AsyncIterable<Buffer>) chunks.push(chunk);
      out[item.header.name] = `${item.header.type} ${(item.header.mode & 0o7777).toString(8)} ${item.header.linkname ?? ''} ${Buffer.concat(chunks).toString()}`;
    }
    return out;
  };

  it.each([
    ['plain', null],
    ['encrypted', 'a data password'],
  ])('stores a tree file by file and gives it back (%s), linking unchanged files', async (_name, password) => {
    const source = path.join(tmp, 'src', 'data');
    fs.mkdirSync(path.join(source, 'a', 'b'), { recursive: true });
    fs.mkdirSync(path.join(source, 'empty'));
    for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(source, 'a', 'b', `f${i}`), `file ${i}\n`);
    fs.writeFileSync(path.join(source, 'big'), Buffer.alloc(1_500_000, 7));
    fs.symlinkSync('a/b/f1', path.join(source, 'link'));
    fs.chmodSync(path.join(source, 'a', 'b', 'f3'), 0o741);
    const storage = new FilesystemStorage(path.join(tmp, 'target'), 'tenant');
    const target = (dir: string) => ({ storage, dir, password, keys: password ? new BackupKeys(password) : undefined, encryptedFilenames: Boolean(password), concurrency: 3 });

    const first = await new RsyncData(target('one')).store(tarOf(path.dirname(source)), null, noRefetch);
    expect(first).toMatchObject({ stored: 31, linked: 0 });
    fs.writeFileSync(path.join(source, 'a', 'b', 'f2'), 'changed\n');
    // Same size and mtime, other bytes: only its checksum tells, and it is fetched again.
    const { mtime } = fs.statSync(path.join(source, 'big'));
    fs.writeFileSync(path.join(source, 'big'), Buffer.alloc(1_500_000, 8));
    fs.utimesSync(path.join(source, 'big'), mtime, mtime);
    const refetch = async (file: string) => spawn('tar', ['-cf', '-', '-C', source, file], { stdio: ['ignore', 'pipe', 'inherit'] }).stdout;
    const files = new Map(first.listing.entries.filter((e) => e.stored).map((e) => [e.path, e]));
    const second = await new RsyncData(target('two')).store(tarOf(path.dirname(source)), { dir: 'one', files }, refetch);
    expect(second).toMatchObject({ stored: 2, linked: 29 });
    fs.writeFileSync(path.join(source, 'a', 'b', 'f4'), 'changed 4\n');
    const third = await new RsyncData(target('three')).store(tarOf(path.dirname(source)), { dir: 'two', files: new Map(second.listing.entries.filter((e) => e.stored).map((e) => [e.path, e])) }, noRefetch);
    expect(third).toMatchObject({ stored: 1, linked: 30 });
    const stat = (dir: string, listing: Listing, file: string) => fs.statSync(path.join(tmp, 'target', 'tenant', dir, listing.entries.find((e) => e.path === file)!.stored!.name));
    expect(stat('three', third.listing, 'big').ino).toBe(stat('two', second.listing, 'big').ino);
    expect(stat('two', second.listing, 'big').ino).not.toBe(stat('one', first.listing, 'big').ino);
    expect(stat('two', second.listing, 'a/b/f1').ino).toBe(stat('one', first.listing, 'a/b/f1').ino);
    expect(stat('two', second.listing, 'a/b/f2').ino).not.toBe(stat('one', first.listing, 'a/b/f2').ino);

    const data = new RsyncData(target('two'));
    await data.check(second.listing);
    const back = await unpack(data.tar(second.listing, 'data'));
    expect(back['data/a/b/f2']).toBe('file 644  changed\n');
    expect(back['data/a/b/f3']).toBe('file 741  file 3\n');
    expect(back['data/link']).toBe('symlink 777 a/b/f1 ');
    expect(back['data/empty']).toMatch(/^directory /);
    expect(back['data/big']).toBe(`file 644  ${Buffer.alloc(1_500_000, 8).toString()}`);
  });
});
