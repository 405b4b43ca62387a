import fs from 'node:fs';

/**
 * nginx's reload is a signal: `nginx -s reload` returns before the master has read the new configuration, and
 * for a while the old workers still take connections with the old sites and certificates. These helpers let the
 * reload wait until the master's accepting workers are all new ones: an old worker retitles itself "worker
 * process is shutting down" as it closes its listening sockets, so from then on only the new configuration
 * answers. Read from /proc (Linux); anywhere else the reload simply does not wait.
 */

/** The master's PID from the `pid` directive of nginx's main configuration file (else the Debian default). */
export function masterPid(confFile: string): number | undefined {
  let pidFile = '/run/nginx.pid';
  try {
    const conf = fs.readFileSync(confFile, 'utf8');
    const match = /^\s*pid\s+([^;\s]+)\s*;/m.exec(conf);
    if (match) pidFile = match[1];
    // A relative path is nginx's prefix's, which Berth does not know: no waiting then.
    if (!pidFile.startsWith('/')) return undefined;
    const pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** PIDs of the master's workers that still accept connections (not shutting down). */
export function acceptingWorkers(master: number): Set<number> {
  const workers = new Set<number>();
  for (const pid of childrenOf(master)) {
    try {
      const title = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').trim();
      if (title === 'nginx: worker process') workers.add(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return workers;
}

/** The master's child processes: from its `children` file where the kernel has one, else by scanning /proc. */
function childrenOf(master: number): number[] {
  try {
    return fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // No such file (an older kernel): every process's parent, read from /proc/<pid>/stat.
  }
  const children: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return children;
  }
  for (const entry of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid …: the name may hold spaces or parentheses, so read after the last ')'.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === master) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

/**
 * Waits (at most `timeoutMs`) until the master has accepting workers and none of them is one of `before`:
 * the new configuration is what answers every new connection.
 */
export async function untilWorkersReplaced(master: number, before: Set<number>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = acceptingWorkers(master);
    if (now.size > 0 && [...now].every((pid) => !before.has(pid))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
