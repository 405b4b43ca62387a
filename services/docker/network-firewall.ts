import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../core/logger';

/** Keeps tenants' bridge networks apart on the host, beyond what the engine does (see IptablesIsolation). */
export interface NetworkFirewall {
  /** Drops traffic between this bridge and every other Docker bridge. Idempotent; a no-op where it cannot apply. */
  isolate(bridge: string): Promise<void>;
  /** Takes the bridge's rules away (its network is being removed). */
  release(bridge: string): Promise<void>;
}

const CHAIN = 'BERTH-ISOLATION';
const TO_BRIDGE = 'BERTH-TO-BRIDGE';
const FROM_BRIDGE = 'BERTH-FROM-BRIDGE';

/**
 * Docker isolates bridge networks with rules in the filter table, but on every network create or remove the
 * engine (20.10, Debian's) deletes and re-inserts its FORWARD jumps to them: for that moment, containers of two
 * networks reach each other (measured: 1 probe in 11 got through while networks were being created elsewhere).
 * Berth's own rules sit in the mangle table's FORWARD, which the engine never touches, so a tenant's bridge
 * stays cut off from every other Docker bridge (`br-*`, `docker0`) all the time; traffic to the outside world
 * and within the bridge is left alone.
 *
 *   mangle FORWARD → BERTH-ISOLATION: -i <tenant> ! -o <tenant> → BERTH-TO-BRIDGE   (-o br-+ / docker0: DROP)
 *                                     -o <tenant> ! -i <tenant> → BERTH-FROM-BRIDGE (-i br-+ / docker0: DROP)
 *
 * Applies only where the bridge is an interface of this machine (the engine is local) and iptables works (root,
 * or CAP_NET_ADMIN); otherwise it says so once in the log and Docker's own isolation is what there is. Rules of
 * bridges that no longer exist are pruned whenever a network is isolated.
 */
export class IptablesIsolation implements NetworkFirewall {
  private warned = false;

  constructor(private readonly deps: { logger: Logger; binary?: string; sysClassNet?: string }) {}

  async isolate(bridge: string): Promise<void> {
    if (!this.isLocalInterface(bridge)) return;
    try {
      await this.ensureChains();
      for (const rule of rulesOf(bridge)) await this.ensureRule(CHAIN, rule);
      await this.pruneGone();
    } catch (err) {
      this.warnOnce(err as Error);
    }
  }

  async release(bridge: string): Promise<void> {
    for (const rule of rulesOf(bridge)) {
      // Deleted until none is left: two processes isolating at once may have added a rule twice.
      while (await this.ok(['-D', CHAIN, ...rule]));
    }
  }

  private async ensureChains(): Promise<void> {
    for (const chain of [CHAIN, TO_BRIDGE, FROM_BRIDGE]) {
      if (!(await this.ok(['-nL', chain]))) await this.run(['-N', chain]).catch(async (err) => {
        // Another process created it between the check and here.
        if (!(await this.ok(['-nL', chain]))) throw err;
      });
    }
    for (const rule of [['-o', 'br-+', '-j', 'DROP'], ['-o', 'docker0', '-j', 'DROP']]) await this.ensureRule(TO_BRIDGE, rule);
    for (const rule of [['-i', 'br-+', '-j', 'DROP'], ['-i', 'docker0', '-j', 'DROP']]) await this.ensureRule(FROM_BRIDGE, rule);
    if (!(await this.ok(['-C', 'FORWARD', '-j', CHAIN]))) await this.run(['-I', 'FORWARD', '1', '-j', CHAIN]);
  }

  private async ensureRule(chain: string, rule: string[]): Promise<void> {
    if (!(await this.ok(['-C', chain, ...rule]))) await this.run(['-A', chain, ...rule]);
  }

  /** Removes the rules of bridges that are gone (networks removed behind Berth's back, or by a test's clean-up). */
  private async pruneGone(): Promise<void> {
    const listing = await this.run(['-S', CHAIN]);
    const bridges = new Set([...listing.matchAll(/ -i (\S+) ! -o \1 /g)].map((m) => m[1]));
    for (const bridge of bridges) if (!this.isLocalInterface(bridge)) await this.release(bridge);
  }

  private isLocalInterface(name: string): boolean {
    return /^[\w.-]{1,15}$/.test(name) && fs.existsSync(`${this.deps.sysClassNet ?? '/sys/class/net'}/${name}`);
  }

  private warnOnce(err: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.deps.logger.warn({ err: err.message }, 'cannot add the host firewall rules that keep tenant networks apart (needs root and iptables); Docker\'s own isolation applies');
  }

  private ok(args: string[]): Promise<boolean> {
    return this.run(args).then(
      () => true,
      () => false,
    );
  }

  /** iptables on the mangle table, waiting for the xtables lock (the engine holds it while it changes rules). */
  private run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.deps.binary ?? 'iptables', ['-w', '5', '-t', 'mangle', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`iptables ${args.join(' ')}: ${(stderr || err.message).trim()}`));
        else resolve(stdout);
      });
    });
  }
}

/** The two rules of one tenant bridge in BERTH-ISOLATION. */
function rulesOf(bridge: string): string[][] {
  return [
    ['-i', bridge, '!', '-o', bridge, '-j', TO_BRIDGE],
    ['-o', bridge, '!', '-i', bridge, '-j', FROM_BRIDGE],
  ];
}
