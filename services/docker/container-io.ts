import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { LABELS, type ContainerState, type ExecSession, type LogLine, type LogOptions } from '../apps/app-runtime';
import { dockerError, gone } from './docker-errors';
import { demuxLines, FrameDecoder } from './log-demux';

/** A container's state (by id or name), or undefined when the engine has no such container. */
export async function inspectContainer(container: Docker.Container): Promise<ContainerState | undefined> {
  try {
    const info = await container.inspect();
    return {
      id: info.Id,
      running: info.State.Running,
      restarting: info.State.Restarting,
      status: info.State.Status,
      exitCode: info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      specHash: info.Config.Labels?.[LABELS.specHash],
      startedAt: info.State.StartedAt,
    };
  } catch (err) {
    if (gone(err)) return undefined;
    throw dockerError(err);
  }
}

/** A container's log lines, once or followed until `signal` aborts: for apps and platform containers alike. */
export async function* containerLogs(container: Docker.Container, options: LogOptions): AsyncIterable<LogLine> {
  // Omitting tail means all lines.
  const common = { stdout: true, stderr: true, timestamps: true, ...(options.tail !== undefined ? { tail: options.tail } : {}) };
  if (!options.follow) {
    const buffer = await container.logs({ ...common, follow: false });
    yield* demuxLines([buffer]);
    return;
  }
  // Followed logs are the engine's HTTP response: a Readable, which can be destroyed to stop following.
  const stream = (await container.logs({ ...common, follow: true })) as Readable;
  const stop = () => stream.destroy();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    yield* demuxLines(stream);
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stream.destroy();
  }
}

/** Starts a command in a container, with its stdin, output and exit code as an ExecSession. */
export async function openExec(container: Docker.Container, options: { cmd: string[]; tty: boolean }): Promise<ExecSession> {
  const exec = await container.exec({
    Cmd: options.cmd,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: options.tty,
  });
  const stream = await exec.start({ hijack: true, stdin: true, Tty: options.tty });
  return {
    tty: options.tty,
    onOutput: (listener) => {
      // Without a tty the engine multiplexes stdout and stderr into frames.
      const decoder = new FrameDecoder((kind, payload) => listener(kind === 2 ? 2 : 1, payload));
      stream.on('data', (chunk: Buffer) => (options.tty ? listener(1, chunk) : decoder.push(chunk)));
    },
    onEnd: (listener) => {
      let ended = false;
      const once = () => {
        if (!ended) listener();
        ended = true;
      };
      stream.on('end', once);
      stream.on('close', once);
      stream.on('error', once);
    },
    write: (data) => void stream.write(data),
    endInput: () => void stream.end(),
    close: () => stream.destroy(),
    resize: async (rows, cols) => {
      if (options.tty) await exec.resize({ h: rows, w: cols }).catch(() => undefined);
    },
    exitCode: async () => {
      // The stream ends a little before the engine records the exit code.
      for (let i = 0; i < 50; i++) {
        const info = await exec.inspect();
        if (!info.Running && info.ExitCode !== null) return info.ExitCode;
        await new Promise((r) => setTimeout(r, 20 * (i + 1)));
      }
      return -1;
    },
  };
}
