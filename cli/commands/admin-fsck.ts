import type { Command } from 'commander';
import type { Context } from '../context';
import { adminUnwrap } from '../client/admin-api';
import { say } from '../ui/io';
import { adminCommon, DOMAIN_ARG, type AdminOptions } from './admin-options';

/** `admin fsck <domain>`: the admin API's consistency check, one finding a line; exit 1 when it finds any. */
export function registerFsckCommand(admin: Command, ctx: Context): void {
  adminCommon(
    admin
      .command('fsck')
      .argument(...DOMAIN_ARG)
      .description("check an instance against the Docker engine and the data folder: missing app containers, orphan containers, quotas exceeded, export files gone"),
  )
    .addHelpText('after', '\nExit code 0: nothing found; 1: problems found (or the check failed). --json prints the findings as the API gives them, one JSON object per line.\nA finding with a fixer can be repaired through the admin API: POST /instances/{domain}/fixers/{fixer} (docs/admin.md).')
    .action((domain: string, options: AdminOptions) =>
      ctx.run(async () => {
        const { api } = await ctx.adminSession(options);
        const text: string | undefined = await adminUnwrap(api.GET('/instances/{domain}/fsck', { params: { path: { domain } }, parseAs: 'text' }));
        // An empty answer (nothing found) has Content-Length 0, which openapi-fetch returns as no data at all.
        const lines = (text ?? '').split('\n').filter((l) => l.trim());
        if (options.json) {
          if (lines.length) ctx.io.stdout.write(`${lines.join('\n')}\n`);
        } else if (!lines.length) say(ctx.io, `${domain}: no problems found.`);
        else {
          for (const line of lines) say(ctx.io, describeFinding(line));
          say(ctx.io, `${domain}: ${lines.length} problem${lines.length === 1 ? '' : 's'} found.`);
        }
        return lines.length ? 1 : 0;
      }),
    );
}

/** `{"type":"orphan_container","name":"x","fixer":"orphan-containers"}` → `orphan_container  name=x  (fixer: orphan-containers)`. */
function describeFinding(line: string): string {
  let finding: Record<string, unknown>;
  try {
    finding = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { type, fixer, ...details } = finding;
  const fields = Object.entries(details).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [String(type), ...fields, fixer ? `(fixer: ${String(fixer)})` : ''].filter(Boolean).join('  ');
}
