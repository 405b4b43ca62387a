import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import { LABELS } from '../../services/apps/app-runtime';
import { tarLister, type ListedEntry } from '../../services/backups/tar-listing';
import { DockerRuntime } from '../../services/docker/docker-runtime';
import { hostFolderOf, hostReadsApply, nanoseconds, tarFolder } from '../../services/docker/host-volume-tar';
import { testDocker } from '../helpers/engine';

jest.setTimeout(60_000);

/** Entries by path, hard links resolved to what they point at (which of two links comes first may differ). */
async function listing(stream: NodeJS.ReadableStream): Promise<Record<string, ListedEntry>> {
  const { sink, entries } = tarLister();
  await pipeline(stream, sink);
  const all = entries();
  const out: Record<string, ListedEntry> = {};
  for (const [name, entry] of all) {
    out[name] = entry.type === 'link' ? { ...all.get(entry.content.replace(/\/+$/, ''))!, mode: all.get(entry.content)!.mode } : entry;
  }
  return out;
}

/**
 * The host-side read of a volume (tar over the engine's volume folder) must give the archive the engine's own
 * API gives: same members, types, modes, owners, links and bytes, so backups made either way restore alike.
 */
describe('reading a volume from the host', () => {
  const docker = testDocker();
  const appId = `hostread-${randomBytes(4).toString('hex')}`;
  const volume = `berth-test-${appId}`;
  let container: Docker.Container;
  let folder: string;

  beforeAll(async () => {
    await docker.createVolume({ Name: volume, Labels: { 'io.berth.test': '1' } });
    container = await docker.createContainer({
      Image: 'berth/busybox:1',
      Labels: { [LABELS.app]: appId },
      HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: '/app/data' }] },
    });
    folder = (await docker.getVolume(volume).inspect()).Mountpoint;
    fs.mkdirSync(path.join(folder, 'sub/deeper'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'empty'));
    fs.writeFileSync(path.join(folder, 'big.bin'), randomBytes(3 * 1024 * 1024 + 17));
    fs.writeFileSync(path.join(folder, 'sub/deeper/small.txt'), 'hello\n');
    fs.writeFileSync(path.join(folder, `${'long-name-'.repeat(15)}.txt`), 'a name past tar\'s 100 bytes\n');
    fs.writeFileSync(path.join(folder, 'ünïcødé name.txt'), 'x');
    fs.writeFileSync(path.join(folder, 'secret'), 'private', { mode: 0o600 });
    fs.chownSync(path.join(folder, 'secret'), 1234, 5678);
    fs.linkSync(path.join(folder, 'sub/deeper/small.txt'), path.join(folder, 'hardlink'));
    fs.symlinkSync('sub/deeper/small.txt', path.join(folder, 'symlink'));
    fs.symlinkSync('/etc/passwd', path.join(folder, 'outside'));
    fs.writeFileSync(path.join(folder, '.hidden'), 'dot');
  });

  afterAll(async () => {
    await container?.remove({ force: true }).catch(() => undefined);
    await docker.getVolume(volume).remove().catch(() => undefined);
  });

  it('finds the volume\'s folder, and gives the same archive as the engine\'s API', async () => {
    // Root, no user-id mapping, GNU tar: host reads apply on the test machine.
    expect(await hostReadsApply(docker)).toBe(true);
    expect(await hostFolderOf(container, '/app/data')).toBe(folder);
    const fromHost = await listing((await new DockerRuntime(docker, { hostReads: true }).archive(appId, '/app/data'))!);
    const fromEngine = await listing((await new DockerRuntime(docker).archive(appId, '/app/data'))!);
    expect(Object.keys(fromHost).sort()).toEqual(Object.keys(fromEngine).sort());
    expect(fromHost).toEqual(fromEngine);
    expect(fromHost['data/secret']).toMatchObject({ mode: 0o600, uid: 1234, gid: 5678 });
    // A symlink stays a link, also one that points out of the volume: nothing of the host is read through it.
    expect(fromHost['data/outside']).toMatchObject({ type: 'symlink', content: '/etc/passwd' });
  });

  it('uses the API for a path that is not a whole volume', async () => {
    expect(await hostFolderOf(container, '/app/data/sub')).toBeUndefined();
    expect(await hostFolderOf(container, '/etc')).toBeUndefined();
  });

  it('refuses a folder whose time differs from the engine\'s (the same path on another machine)', async () => {
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-elsewhere-'));
    const engineView = await (container.infoArchive({ path: '/app/data' }) as Promise<{ headers: Record<string, string> }>);
    const lookalike = {
      inspect: async () => ({ Mounts: [{ Type: 'volume', Destination: '/app/data', Source: elsewhere }] }),
      infoArchive: async () => engineView,
    } as unknown as Docker.Container;
    try {
      expect(await hostFolderOf(lookalike, '/app/data')).toBeUndefined();
      const gone = { ...lookalike, inspect: async () => ({ Mounts: [{ Type: 'volume', Destination: '/app/data', Source: '/no/such/folder' }] }) } as unknown as Docker.Container;
      expect(await hostFolderOf(gone, '/app/data')).toBeUndefined();
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('ends the stream with tar\'s message when tar fails', async () => {
    await expect(listing(tarFolder('/no/such/folder', 'data'))).rejects.toThrow(/tar of \/no\/such\/folder failed \(exit 2\): .*No such file or directory/);
  });

  it('reads the engine\'s times to the nanosecond', () => {
    expect(nanoseconds('2026-12-01T04:56:33.876694832Z')).toBe(1796100993876694832n);
    expect(nanoseconds('2026-12-01T04:56:33Z')).toBe(1796100993000000000n);
    expect(nanoseconds('2026-12-01T05:56:33.5+01:00')).toBe(1796100993500000000n);
    expect(nanoseconds('yesterday')).toBeUndefined();
  });
});
