import { StringDecoder } from 'node:string_decoder';
import { JOB_LOG_LINE_CAP, JOB_OUTPUT_CAP_BYTES, type RunResult } from './job-runtime';

/**
 * One execution's output as it arrives: stdout and stderr kept in arrival order up to a byte cap, and cut into
 * lines for the task log. Lines are cut per stream, so a half line on stderr never glues to one on stdout. The
 * log is capped like the output (the task log is a database table): past the cap it gets one line saying so.
 */
export class JobOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private truncated = false;
  private logged = 0;
  private logCut = false;
  private readonly partial = new Map<number, { text: string; skipping: boolean }>();
  private readonly decoders = new Map<number, StringDecoder>();

  constructor(
    private readonly log: (line: string) => void,
    private readonly cap = JOB_OUTPUT_CAP_BYTES,
  ) {}

  /** `stream` tells apart stdout (1) and stderr (2) for line cutting only. */
  push(stream: number, data: Buffer): void {
    this.keep(data);
    this.lines(stream, data);
  }

  /** The output so far, with the cut said at the end; the last partial lines go to the log. */
  finish(exitCode: number): RunResult {
    for (const [stream, state] of this.partial) {
      const rest = state.text + (this.decoders.get(stream)?.end() ?? '');
      if (rest && !state.skipping) this.logLine(rest);
    }
    this.partial.clear();
    const text = Buffer.concat(this.chunks).toString('utf8');
    const output = this.truncated ? `${text}${text.endsWith('\n') || !text ? '' : '\n'}…[output truncated at ${this.cap} bytes]` : text;
    return { exitCode, output, truncated: this.truncated };
  }

  private keep(data: Buffer): void {
    if (this.truncated) return;
    const room = this.cap - this.kept;
    if (data.length <= room) {
      this.chunks.push(data);
      this.kept += data.length;
      return;
    }
    // Cut on a character boundary: step back over UTF-8 continuation bytes (10xxxxxx).
    let end = room;
    while (end > 0 && (data[end] & 0xc0) === 0x80) end--;
    this.chunks.push(data.subarray(0, end));
    this.kept += end;
    this.truncated = true;
  }

  private lines(stream: number, data: Buffer): void {
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new StringDecoder('utf8')));
    const state = this.partial.get(stream) ?? { text: '', skipping: false };
    const pieces = (state.text + decoder.write(data)).split('\n');
    state.text = pieces.pop() ?? '';
    for (const line of pieces) {
      // A line already logged in part (it outgrew the line cap) ends here; the next one is whole.
      if (!state.skipping) this.logLine(line);
      state.skipping = false;
    }
    if (state.text.length > JOB_LOG_LINE_CAP && !state.skipping) {
      this.logLine(state.text);
      state.text = '';
      state.skipping = true;
    } else if (state.skipping) state.text = '';
    this.partial.set(stream, state);
  }

  private logLine(raw: string): void {
    if (this.logCut) return;
    let line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.length > JOB_LOG_LINE_CAP) line = `${line.slice(0, JOB_LOG_LINE_CAP)}…`;
    this.logged += Buffer.byteLength(line) + 1;
    if (this.logged > this.cap) {
      this.logCut = true;
      this.log(`…[log truncated at ${this.cap} bytes]`);
      return;
    }
    this.log(line);
  }
}
