import { boxClient, normaliseUrl, type BoxClient } from './api';
import { configPath, profileName, readConfig, type Profile } from './config';
import { CliError } from './errors';
import { schedulerClient, type SchedulerClient } from './scheduler-api';

/** Where a command's URL and token come from, and the client built on them. */
export interface Session {
  profile: string;
  configFile: string;
  url: string;
  token?: string;
  allowSelfsigned: boolean;
  /** Where the token came from: `BERTH_TOKEN`, or the profile. */
  tokenSource?: 'env' | 'profile';
  api: BoxClient;
  /** The scheduler API (`/api/jobs`, …) on the same box, with the same token. */
  scheduler: SchedulerClient;
}

export interface SessionOptions {
  profile?: string;
  /** Fail unless there is a token (most commands); `status` needs only a URL. */
  needToken?: boolean;
}

/**
 * Resolves the session: the profile (`--profile`, `BERTH_PROFILE`, `default`) from the config file, with
 * `BERTH_URL`, `BERTH_TOKEN` and `BERTH_ALLOW_SELFSIGNED` overriding what it holds.
 */
export function openSession(env: NodeJS.ProcessEnv, options: SessionOptions = {}): Session {
  const profile = profileName(options.profile, env);
  const configFile = configPath(env);
  const stored: Partial<Profile> = readConfig(configFile).profiles[profile] ?? {};
  const rawUrl = env.BERTH_URL || stored.url;
  const named = profile === 'default' ? '' : ` --profile ${profile}`;
  if (!rawUrl) throw new CliError(`not logged in: run berth login <url>${named} (or set BERTH_URL and BERTH_TOKEN)`);
  const url = normaliseUrl(rawUrl);
  if (!url) throw new CliError(`${env.BERTH_URL ? 'BERTH_URL' : `profile ${profile}'s url`} is not an http(s) URL: ${rawUrl}`, 2);
  // A stored token goes only to the server it came from, never to another one named by BERTH_URL.
  const storedToken = stored.url && normaliseUrl(stored.url) === url ? stored.token : undefined;
  const token = env.BERTH_TOKEN || storedToken;
  if (options.needToken !== false && !token) throw new CliError(`not logged in to ${url}: run berth login${named}`);
  const allowSelfsigned = env.BERTH_ALLOW_SELFSIGNED ? env.BERTH_ALLOW_SELFSIGNED === '1' || env.BERTH_ALLOW_SELFSIGNED === 'true' : Boolean(stored.allowSelfsigned);
  return {
    profile,
    configFile,
    url,
    token,
    allowSelfsigned,
    tokenSource: env.BERTH_TOKEN ? 'env' : storedToken ? 'profile' : undefined,
    api: boxClient({ url, token, allowSelfsigned }),
    scheduler: schedulerClient({ url, token, allowSelfsigned }),
  };
}
