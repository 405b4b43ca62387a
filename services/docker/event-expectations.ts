import type Docker from 'dockerode';

type Expected = 'present' | 'running' | 'stopped' | 'absent';

/** The state each event leaves a container in; other events (rename, update, pause) promise nothing checkable. */
const AFTER: Readonly<Record<string, Expected>> = { create: 'present', start: 'running', die: 'stopped', destroy: 'absent' };

/**
 * What the engine's events say the next container list must show. The engine sends `die` before its list shows
 * the container stopped (seen: still `running` ~20 ms after the event), so a list read right after an event can be
 * stale, and nothing more would come to correct it. The watcher feeds the stream here and re-reads the list until
 * it agrees with the last event of each container.
 */
export class EventExpectations {
  private readonly pending = new Map<string, Expected>();
  private partial = '';

  /** A chunk of the event stream: JSON objects, one per line; a chunk may end mid-line. */
  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let event: { id?: string; status?: string; Action?: string; Actor?: { ID?: string } };
      try {
        event = JSON.parse(line);
      } catch {
        continue; // Not ours to judge: the event is still a reason to read the list, which the watcher does anyway.
      }
      const id = event.Actor?.ID ?? event.id;
      const after = AFTER[event.Action ?? event.status ?? ''];
      if (id && after) this.pending.set(id, after);
    }
  }

  /** Drops the expectations this list meets; true when none is left. */
  settle(list: readonly Docker.ContainerInfo[]): boolean {
    const byId = new Map(list.map((c) => [c.Id, c]));
    for (const [id, expected] of this.pending) {
      const c = byId.get(id);
      const met =
        expected === 'absent' ? !c : expected === 'present' ? !!c : expected === 'running' ? c?.State === 'running' : c?.State !== 'running';
      if (met) this.pending.delete(id);
    }
    return this.pending.size === 0;
  }

  /** Forgets everything: a new stream starts whole, and a list that never agrees is given up on. */
  clear(): void {
    this.pending.clear();
    this.partial = '';
  }
}
