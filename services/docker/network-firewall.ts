import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Logger } from '../core/logger';

/** Keeps tenants' bridge networks apart on the host, beyond what the engine does (see IptablesIsolation). */
export interface NetworkFirewall {
  /**
   * Makes the host's rules match the engine's networks: every tenant bridge cut off from every other Docker
   * bridge, and rules of bridges that are gone removed. Idempotent; a no-op where it cannot apply.
   */
  sync(networks: { tenants: string[]; bridges: string[] }): Promise<void>;
}

const CHAIN = 'BERTH-ISOLATION';
const TO_BRIDGE = 'BERTH-TO-BRIDGE';
const FROM_BRIDGE = 'BERTH-FROM-BRIDGE';
const PUBLISHED = ['-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'RETURN'];

/**
 * Docker isolates bridge networks with rules in the filter table, but on every network create or remove the
 * engine (20.10, Debian's) deletes and re-inserts its FORWARD jumps to them: for that moment, containers of two
 * networks reach each other (measured: 1 probe in 11 got through while networks were being created elsewhere).
 * Berth's own rules sit in the mangle table's FORWARD, which the engine never touches:
 *
 *   mangle FORWARD → BERTH-ISOLATION: (a published port, DNAT'd: RETURN, as the engine decides)
 *                                     -i <tenant> ! -o <tenant> → BERTH-TO-BRIDGE:   -o <each Docker bridge> DROP
 *                                     -o <tenant> ! -i <tenant> → BERTH-FROM-BRIDGE: -i <each Docker bridge> DROP
 *
 * The Docker bridges are listed by name (the engine's bridge networks, `docker0` included), not by a `br-+`
 * wildcard, which would also catch a host's own `br-lan` uplink. Traffic within a bridge and to or from the rest
 * of the world is left alone. Rules are added and removed one by one, never flushed, so no moment is uncovered,
 * and a rule goes only when its interface has gone from the machine, so Berth processes never undo each other.
 *
 * Applies only where the tenant bridges are interfaces of this machine (the engine is local) and iptables works
 * (root, or CAP_NET_ADMIN); otherwise it says so once in the log and Docker's own isolation is what there is.
 */
export class IptablesIsolation implements NetworkFirewall {
  private warnedUnusable = false;

  constructor(private readonly deps: { logger: Logger; binary?: string; sysClassNet?: string }) {}

  async sync(networks: { tenants: string[]; bridges: string[] }): Promise<void> {
    const tenants = networks.tenants.filter((b) => this.isLocalInterface(b));
    const bridges = networks.bridges.filter((b) => this.isLocalInterface(b));
    try {
      // No tenant bridge here (none yet, or the engine is elsewhere) and nothing of ours to tidy: leave iptables be.
      if (tenants.length === 0 && !(await this.ok(['-n', '-L', CHAIN]))) return;
      await this.ensureChains();
      await this.syncChain(TO_BRIDGE, bridges.map((b) => ['-o', b, '-j', 'DROP']));
      await this.syncChain(FROM_BRIDGE, bridges.map((b) => ['-i', b, '-j', 'DROP']));
      await this.syncChain(CHAIN, tenants.flatMap((b) => [
        ['-i', b, '!', '-o', b, '-j', TO_BRIDGE],
        ['!', '-i', b, '-o', b, '-j', FROM_BRIDGE],
      ]));
    } catch (err) {
      this.report(err as Error);
    }
  }

  private async ensureChains(): Promise<void> {
    for (const chain of [CHAIN, TO_BRIDGE, FROM_BRIDGE]) {
      if (await this.ok(['-n', '-L', chain])) continue;
      await this.run(['-N', chain]).catch(async (err) => {
        // Another process created it between the check and here.
        if (!(await this.ok(['-n', '-L', chain]))) throw err;
      });
    }
    // A published port (DNAT'd on its way in) is the engine's to allow or refuse, as for anyone outside.
    if (!(await this.ok(['-C', CHAIN, ...PUBLISHED]))) await this.run(['-I', CHAIN, '1', ...PUBLISHED]);
    if (!(await this.ok(['-C', 'FORWARD', '-j', CHAIN]))) await this.run(['-I', 'FORWARD', '1', '-j', CHAIN]);
  }

  /**
   * Adds the wanted rules `chain` lacks, and removes rules that name an interface no longer on this machine.
   * Nothing else is removed: another Berth process may have just added a bridge this one has not seen yet, and
   * a rule twice (two processes adding at once) is harmless and goes when its bridge goes.
   */
  private async syncChain(chain: string, wanted: string[][]): Promise<void> {
    const present = await this.rules(chain);
    for (const rule of wanted) if (!present.includes(rule.join(' '))) await this.run(['-A', chain, ...rule]);
    for (const rule of present) {
      const names = [...rule.matchAll(/-[io] (\S+)/g)].map((m) => m[1]);
      if (names.length > 0 && names.every((name) => !this.isLocalInterface(name))) {
        await this.run(['-D', chain, ...rule.split(' ')]).catch(() => undefined);
      }
    }
  }

  /** The chain's rules as `iptables -S` prints them, without the `-A <chain>` in front. */
  private async rules(chain: string): Promise<string[]> {
    const listing = await this.run(['-S', chain]);
    return listing
      .split('\n')
      .filter((line) => line.startsWith(`-A ${chain} `))
      .map((line) => line.slice(`-A ${chain} `.length).trim());
  }

  private isLocalInterface(name: string): boolean {
    return isInterfaceName(name) && fs.existsSync(`${this.deps.sysClassNet ?? '/sys/class/net'}/${name}`);
  }

  /** iptables missing or not allowed: said once. Anything else (a lock timeout, say): said every time. */
  private report(err: Error): void {
    const unusable = /ENOENT|EACCES|EPERM|Permission denied|not permitted|could not run/i.test(err.message);
    if (unusable && this.warnedUnusable) return;
    if (unusable) this.warnedUnusable = true;
    this.deps.logger.warn(
      { err: err.message },
      unusable
        ? 'cannot add the host firewall rules that keep tenant networks apart (needs root and iptables); Docker\'s own isolation applies'
        : 'updating the host firewall rules that keep tenant networks apart failed; the next network change or worker start tries again',
    );
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

/** A Linux interface name (at most 15 characters), so nothing else reaches iptables' arguments. */
function isInterfaceName(name: string): boolean {
  return /^[\w.-]{1,15}$/.test(name);
}
