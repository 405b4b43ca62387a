import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './errors';

/** One box the CLI is logged in to. */
export interface Profile {
  url: string;
  token?: string;
  username?: string;
  allowSelfsigned?: boolean;
  /** When the token stops working (login tokens last 7 days), ISO time. */
  expiresAt?: string;
}

export interface ConfigFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

/** `$XDG_CONFIG_HOME/berth/config.json`, or `~/.config/berth/config.json`. */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'berth', 'config.json');
}

/** The profile name a command uses: `--profile`, else `BERTH_PROFILE`, else `default`. */
export function profileName(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  const name = flag ?? env.BERTH_PROFILE ?? DEFAULT_PROFILE;
  if (!/^[\w.-]{1,64}$/.test(name)) throw new CliError(`bad profile name "${name}": use letters, digits, ".", "_" and "-"`, 2);
  return name;
}

/** The config file's contents; an empty one when there is none yet. */
export function readConfig(file: string): ConfigFile {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    return { profiles: typeof parsed.profiles === 'object' && parsed.profiles ? parsed.profiles : {} };
  } catch {
    throw new CliError(`${file} is not valid JSON: fix or remove it, then log in again`);
  }
}

/**
 * Writes the config file readable by its owner only (0600, its folder 0700), through a temporary file and a
 * rename so a crash never leaves half a file.
 */
export function writeConfig(file: string, config: ConfigFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  fs.chmodSync(temp, 0o600);
  fs.renameSync(temp, file);
}

/** Reads, changes one profile (or removes it with `undefined`) and writes back. */
export function updateProfile(file: string, name: string, profile: Profile | undefined): void {
  const config = readConfig(file);
  if (profile) config.profiles[name] = profile;
  else delete config.profiles[name];
  writeConfig(file, config);
}
