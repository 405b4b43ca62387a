import { randomUUID } from 'node:crypto';
import type Docker from 'dockerode';
import { BerthError } from '../../services/core/errors';
import type { RunIo } from '../../services/scheduler/job-runtime';
import { emptyJob, type JobSpec, type JobType } from '../../services/scheduler/job-spec';

/** The local image the engine tests use (scripts/build-images.sh): no registry is reachable. */
export const BUSYBOX = 'berth/busybox:1';

/** A fresh tenant id per test file, so its containers, volumes and network are its own. */
export const newTenant = () => `sched-${randomUUID().slice(0, 8)}`;

export function job(type: JobType, fields: Partial<JobSpec> = {}): JobSpec {
  return { ...emptyJob(`job-${randomUUID().slice(0, 6)}`, type, { kind: 'api' }), schedule: '@hourly', ...fields };
}

/** A RunIo whose log lines are kept, with the controller that stops it. */
export function testIo(): RunIo & { lines: string[]; controller: AbortController } {
  const controller = new AbortController();
  const lines: string[] = [];
  return { signal: controller.signal, log: (line) => lines.push(line), lines, controller };
}

/** A running busybox container labelled as a tenant's (as an app's container is), sleeping. */
export async function tenantContainer(docker: Docker, instanceId: string | undefined, name: string): Promise<string> {
  const container = await docker.createContainer({
    name,
    Image: BUSYBOX,
    Cmd: ['sleep', '100000'],
    Labels: instanceId ? { 'io.berth.managed': '1', 'io.berth.instance': instanceId } : { 'io.berth.test': 'scheduler' },
    HostConfig: { Init: true },
  });
  await container.start();
  return container.id;
}

/** The command lines of the processes in a container, read through `ps` in it. */
export async function processesIn(docker: Docker, containerId: string): Promise<string> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: ['ps', '-o', 'pid,args'], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => stream.on('end', resolve));
  // The hijacked socket stays half open after the end: close it, or it keeps jest's worker alive.
  stream.destroy();
  // Frames of an 8-byte header and a payload; the text is all that is asked for.
  const all = Buffer.concat(chunks);
  let text = '';
  for (let at = 0; at + 8 <= all.length; at += 8 + all.readUInt32BE(at + 4)) text += all.subarray(at + 8, at + 8 + all.readUInt32BE(at + 4)).toString();
  return text;
}

/** Reads until `done` holds, failing with the last value read when the deadline passes. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, deadlineMs = 30_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Still not there after ${deadlineMs} ms: ${JSON.stringify(value).slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The BerthError a promise rejects with (failing the test when it resolves or throws something else). */
export async function rejection(promise: Promise<unknown>): Promise<BerthError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof BerthError)) throw new Error(`Expected a BerthError, got ${err instanceof Error ? err.stack : String(err)}`);
  return err;
}

/** Removes the containers these tests made outside any tenant (operator targets). */
export async function removeNamed(docker: Docker, names: string[]): Promise<void> {
  for (const name of names) await docker.getContainer(name).remove({ force: true, v: true }).catch(() => undefined);
}
