import { readdir, readFile, readlink } from 'node:fs/promises';
import type Docker from 'dockerode';
import { BerthError } from '../core/errors';
import { statusOf } from './job-errors';

/** How a stopped exec is killed; both are replaceable so tests can take the fallbacks. */
export interface ExecKillOptions {
  /** Where the engine's processes are seen: `/proc` when the engine runs on this machine in Berth's pid namespace. */
  procRoot?: string;
  /** Sends a signal to a host process (process.kill). */
  signalHost?: (pid: number, signal: NodeJS.Signals) => void;
}

interface Proc {
  hostPid: number;
  /** The pid inside the container's own pid namespace (the last NSpid entry), for a kill from inside. */
  nsPid: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Kills a running exec and what it started. Docker has no way to stop an exec, so:
 * 1. The engine's host pid of the exec (exec inspect `Pid`) is trusted only once it proves to be in the container:
 *    in the same pid namespace as the container's first process, and not in Berth's own (or, when namespaces cannot
 *    be read, in the same cgroup). A remote engine's pids mean nothing here and fail that test.
 * 2. The process and its descendants are frozen with SIGSTOP (so none forks while we look) and killed with SIGKILL.
 * 3. A host signal refused (EPERM: Berth is not root) is sent from inside the container instead, as `kill -9` of the
 *    in-container pids (NSpid), run as root in the container.
 * 4. If the exec still runs after that (or its pid could not be proved), an operator's job kills the whole
 *    container as the last resort; a tenant's is refused that (it is the tenant's app) and the failure is thrown.
 */
export async function killExec(
  docker: Docker,
  exec: Docker.Exec,
  options: { operator: boolean; log: (line: string) => void } & ExecKillOptions,
): Promise<void> {
  const procRoot = options.procRoot ?? '/proc';
  const signalHost = options.signalHost ?? ((pid, signal) => process.kill(pid, signal));
  const info = await exec.inspect().catch(() => undefined);
  if (!info?.Running) return;
  const container = docker.getContainer(info.ContainerID);
  const initPid = (await container.inspect().catch(() => undefined))?.State.Pid ?? 0;
  let tried = false;
  if (info.Pid > 0 && initPid > 0 && (await sameContainer(procRoot, info.Pid, initPid))) {
    tried = true;
    const refused = await signalTree(procRoot, info.Pid, signalHost);
    if (refused.length) await killInside(container, refused.map((p) => p.nsPid)).catch(() => undefined);
  }
  if (tried && (await ended(exec))) return;
  if (options.operator) {
    options.log('The command could not be killed on its own: killing its container');
    await container.kill().catch((err) => {
      if (![404, 409].includes(statusOf(err) ?? 0)) throw new BerthError('DOCKER_ERROR', 500, `Could not kill the container: ${(err as Error).message}`);
    });
    return;
  }
  throw new BerthError('DOCKER_ERROR', 500, 'The command could not be killed: the engine does not let Berth see its process');
}

/** Is `pid` (a host pid) in the same container as `initPid`, and not one of Berth's own neighbours? */
export async function sameContainer(procRoot: string, pid: number, initPid: number): Promise<boolean> {
  // The container's first process is pid 1 of its own namespace: a pid that is not is someone else's (a remote
  // engine's pid that happens to exist here), and nothing is proved.
  const initStatus = await readFile(`${procRoot}/${initPid}/status`, 'utf8').catch(() => '');
  if (/^NSpid:.*\s(\d+)\s*$/m.exec(initStatus)?.[1] !== '1') return false;
  const of = (what: string, p: number | 'self') => (what === 'ns' ? readlink(`${procRoot}/${p}/ns/pid`) : readFile(`${procRoot}/${p}/cgroup`, 'utf8'));
  for (const what of ['ns', 'cgroup']) {
    try {
      const [mine, target, init] = await Promise.all([of(what, 'self'), of(what, pid), of(what, initPid)]);
      return target === init && target !== mine;
    } catch {
      // Not readable this way (another user's namespaces, or no such process): try the next, else no.
    }
  }
  return false;
}

/** Freezes the tree under `root`, then kills it; answers the processes the host refused to signal. */
async function signalTree(procRoot: string, root: number, signalHost: (pid: number, signal: NodeJS.Signals) => void): Promise<Proc[]> {
  const seen = new Map<number, Proc>();
  const refused = new Map<number, Proc>();
  const send = (proc: Proc, signal: NodeJS.Signals) => {
    try {
      signalHost(proc.hostPid, signal);
    } catch (err) {
      // ESRCH: already gone. EPERM: left for a kill from inside the container.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') refused.set(proc.hostPid, proc);
    }
  };
  // A stopped process cannot fork, so a few rounds find every descendant; a new one only appears while a parent
  // that has not been stopped yet runs.
  for (let round = 0; round < 5; round++) {
    const fresh = (await processTree(procRoot, root)).filter((p) => !seen.has(p.hostPid));
    if (!fresh.length) break;
    for (const proc of fresh) {
      seen.set(proc.hostPid, proc);
      send(proc, 'SIGSTOP');
    }
  }
  for (const proc of seen.values()) if (!refused.has(proc.hostPid)) send(proc, 'SIGKILL');
  return [...refused.values()];
}

/** `root` and its descendants, read from /proc (PPid and NSpid of every process's status). */
export async function processTree(procRoot: string, root: number): Promise<Proc[]> {
  const children = new Map<number, Proc[]>();
  let rootProc: Proc | undefined;
  for (const entry of await readdir(procRoot).catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`${procRoot}/${entry}/status`, 'utf8').catch(() => '');
    const ppid = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1] ?? 0);
    const nsPids = (/^NSpid:\s*([\d\s]+)$/m.exec(status)?.[1] ?? entry).trim().split(/\s+/);
    const proc = { hostPid: Number(entry), nsPid: Number(nsPids[nsPids.length - 1]) };
    if (proc.hostPid === root) rootProc = proc;
    children.set(ppid, [...(children.get(ppid) ?? []), proc]);
  }
  if (!rootProc) return [];
  const tree = [rootProc];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i].hostPid) ?? []));
  return tree;
}

/**
 * `kill -9` from inside the container, as root: the shell's builtin first (images without procps have no `kill`
 * binary), the binary when there is no shell.
 */
async function killInside(container: Docker.Container, pids: number[]): Promise<void> {
  const args = pids.map(String);
  for (const cmd of [['sh', '-c', 'kill -9 "$@"', 'kill', ...args], ['kill', '-9', ...args]]) {
    try {
      const exec = await container.exec({ Cmd: cmd, User: '0', AttachStdout: false, AttachStderr: false });
      // Detached, the engine answers at once; its (empty) answer is still a stream to close, or the socket stays.
      const answer = (await exec.start({ Detach: true })) as { destroy?: () => void } | undefined;
      answer?.destroy?.();
      for (let i = 0; i < 50; i++) {
        const info = await exec.inspect();
        if (!info.Running) {
          if (info.ExitCode === 0) return;
          break;
        }
        await sleep(100);
      }
    } catch {
      // No such program in the image: the next form, else the caller's last resort.
    }
  }
}

/** Whether the exec has stopped running, asked for up to ten seconds (a killed process is reaped at once). */
async function ended(exec: Docker.Exec): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    const info = await exec.inspect().catch(() => undefined);
    if (!info?.Running) return true;
    await sleep(100);
  }
  return false;
}
