import type { LogLine } from '../apps/app-runtime';

const STREAMS = { 1: 'stdout', 2: 'stderr' } as const;

/**
 * Docker's log stream for a container without a TTY: frames of an 8-byte header (stream, 0, 0, 0, size as
 * uint32 BE) and a payload. With `timestamps`, each line starts with an RFC 3339 time and a space. Frames do
 * not align with lines, so partial lines are carried per stream until their newline arrives.
 */
export async function* demuxLines(chunks: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<LogLine> {
  let pending: Buffer = Buffer.alloc(0);
  const partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for await (const chunk of chunks) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const stream = STREAMS[pending[0] as 1 | 2] ?? 'stdout';
      const text = partial[stream] + pending.subarray(8, 8 + size).toString('utf8');
      pending = pending.subarray(8 + size);
      const lines = text.split('\n');
      partial[stream] = lines.pop() ?? '';
      for (const line of lines) yield parseLine(line, stream);
    }
  }
  for (const stream of ['stdout', 'stderr'] as const) if (partial[stream]) yield parseLine(partial[stream], stream);
}

function parseLine(raw: string, stream: 'stdout' | 'stderr'): LogLine {
  const space = raw.indexOf(' ');
  const time = space > 0 ? Date.parse(raw.slice(0, space)) : NaN;
  if (Number.isNaN(time)) return { time: Date.now(), stream, message: raw.replace(/\r$/, '') };
  return { time, stream, message: raw.slice(space + 1).replace(/\r$/, '') };
}

/**
 * Splits a live multiplexed stream (an exec without a TTY) into frames as they arrive: `onFrame(stream, bytes)`
 * with 1 for stdout and 2 for stderr.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (stream: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) return;
      this.onFrame(this.pending[0], this.pending.subarray(8, 8 + size));
      this.pending = this.pending.subarray(8 + size);
    }
  }
}
