/** What a progress view needs of a task. */
export interface TaskProgress {
  id: number;
  percent: number;
  message: string;
  active: boolean;
  pending: boolean;
}

export interface ProgressView {
  /** Shows the task's latest state. */
  show(task: TaskProgress): void;
  /** Takes the bar off the screen (before a question, or the outcome). */
  clear(): void;
}

/**
 * On a terminal: one line redrawn in place, `[#######.............]  35%  Creating container`. Elsewhere (a
 * pipe, a file, CI): a plain line each time the percent or the message changes, `task 12: 35% Creating container`.
 */
export function progressView(stream: NodeJS.WriteStream): ProgressView {
  return stream.isTTY ? new BarView(stream) : new LineView(stream);
}

/** Shows nothing (for --json without a terminal on stderr). */
export const silentView = (): ProgressView => ({ show: () => undefined, clear: () => undefined });

function describe(task: TaskProgress): string {
  if (task.pending) return task.message || 'waiting for a worker';
  return task.message || (task.active ? 'starting' : '');
}

class BarView implements ProgressView {
  private drawn = '';
  constructor(private readonly stream: NodeJS.WriteStream) {}

  show(task: TaskProgress): void {
    const width = 24;
    const filled = Math.round((Math.max(0, Math.min(100, task.percent)) / 100) * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(task.percent).padStart(3)}%  ${describe(task)}`;
    const columns = this.stream.columns || 80;
    const line = bar.length >= columns ? `${bar.slice(0, columns - 2)}…` : bar;
    if (line === this.drawn) return;
    this.stream.write(`\r\x1b[2K${line}`);
    this.drawn = line;
  }

  clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = '';
  }
}

class LineView implements ProgressView {
  private last = '';
  constructor(private readonly stream: NodeJS.WriteStream) {}

  show(task: TaskProgress): void {
    const text = `task ${task.id}: ${task.percent}% ${describe(task)}`.trimEnd();
    if (text === this.last) return;
    this.last = text;
    this.stream.write(`${text}\n`);
  }

  clear(): void {}
}
