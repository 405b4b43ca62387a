/**
 * Settings of what stands in front of the surfaces on the main listener (read with the rest in config.ts):
 * `/metrics` access, the scheduler API's rate limit and its CORS policy. The names follow seed 000's sections.
 */
export interface HttpEdgeConfig {
  /** BERTH_METRICS_TOKEN: the bearer `/metrics` wants; unset, `/metrics` answers 404 (off by default). */
  metricsToken: string | undefined;
  rateLimit: RateLimitConfig;
  cors: CorsConfig;
}

export interface RateLimitConfig {
  /** BERTH_SCHEDULER_RATE_LIMIT: requests per client per minute (the seed's default 100); 0 turns it off. */
  perMinute: number;
  /** BERTH_SCHEDULER_RATE_BURST: requests per client within any one second (the seed's burst capacity, 10). */
  burst: number;
}

export interface CorsConfig {
  /** BERTH_SCHEDULER_CORS_ORIGINS: exact origins (`https://app.example.com`), or `*`; empty: no CORS at all. */
  origins: string[];
  /** BERTH_SCHEDULER_CORS_METHODS (the seed's example: GET, POST, PUT, DELETE; PATCH added for toggle). */
  methods: string[];
  /** BERTH_SCHEDULER_CORS_HEADERS. */
  headers: string[];
  /** BERTH_SCHEDULER_CORS_MAX_AGE: how long a browser may cache a preflight, in seconds. */
  maxAgeSecs: number;
}

type Env = Record<string, string | undefined>;

export interface ConfigHelpers {
  /** Reads a non-negative integer or throws the caller's ConfigError naming the variable. */
  nonNegativeInt(env: Env, name: string, fallback: number): number;
  fail(message: string): never;
}

export function httpEdgeConfig(env: Env, helpers: ConfigHelpers): HttpEdgeConfig {
  const token = env.BERTH_METRICS_TOKEN?.trim() || undefined;
  // A short token is guessable by anyone who can reach the listener; metrics name tenants' job counts.
  if (token !== undefined && token.length < 16) helpers.fail('BERTH_METRICS_TOKEN must be at least 16 characters');
  const burst = helpers.nonNegativeInt(env, 'BERTH_SCHEDULER_RATE_BURST', 10);
  if (burst === 0) helpers.fail('BERTH_SCHEDULER_RATE_BURST must be at least 1 (BERTH_SCHEDULER_RATE_LIMIT=0 turns limiting off)');
  return {
    metricsToken: token,
    rateLimit: { perMinute: helpers.nonNegativeInt(env, 'BERTH_SCHEDULER_RATE_LIMIT', 100), burst },
    cors: {
      origins: list(env.BERTH_SCHEDULER_CORS_ORIGINS).map((origin) => corsOrigin(origin, helpers)),
      methods: list(env.BERTH_SCHEDULER_CORS_METHODS, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).map((m) => m.toUpperCase()),
      headers: list(env.BERTH_SCHEDULER_CORS_HEADERS, ['Authorization', 'Content-Type']),
      maxAgeSecs: helpers.nonNegativeInt(env, 'BERTH_SCHEDULER_CORS_MAX_AGE', 86400),
    },
  };
}

function list(raw: string | undefined, fallback: string[] = []): string[] {
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((part) => part.trim()).filter(Boolean);
}

/** An origin is scheme://host[:port] with nothing after: a path or a trailing slash would never match a browser's. */
function corsOrigin(raw: string, helpers: ConfigHelpers): string {
  if (raw === '*') return raw;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== raw.replace(/\/$/, '').toLowerCase()) {
    helpers.fail(`BERTH_SCHEDULER_CORS_ORIGINS must be origins such as https://app.example.com separated by commas, got "${raw}"`);
  }
  return url.origin;
}
