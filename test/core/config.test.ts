import { ConfigError, loadConfig } from '../../services/core/config';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({}, '/srv/berth');
    expect(config).toMatchObject({
      port: 3000,
      adminPort: 6060,
      dataDir: '/srv/berth/data',
      databaseUrl: 'sqlite:/srv/berth/data/berth.sqlite',
      redisUrl: undefined,
      logLevel: 'info',
      dnsApis: { cloudflare: 'https://api.cloudflare.com/client/v4', digitalocean: 'https://api.digitalocean.com/v2', route53: undefined },
    });
  });

  it('takes the cloud DNS APIs from the operator, without a trailing slash', () => {
    const config = loadConfig({ BERTH_CLOUDFLARE_API: 'http://127.0.0.1:8080/client/v4/', BERTH_ROUTE53_ENDPOINT: 'http://127.0.0.1:9090' });
    expect(config.dnsApis).toEqual({ cloudflare: 'http://127.0.0.1:8080/client/v4', digitalocean: 'https://api.digitalocean.com/v2', route53: 'http://127.0.0.1:9090' });
  });

  it('accepts PostgreSQL, unix Redis and a Docker socket', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://berth:pw@db/berth',
      REDIS_URL: 'unix:///run/redis.sock',
      DOCKER_HOST: 'unix:///var/run/docker.sock',
    });
    expect(config.databaseUrl).toBe('postgres://berth:pw@db/berth');
    expect(config.redisUrl).toBe('unix:///run/redis.sock');
  });

  it.each([
    ['BERTH_PORT', 'eighty', /BERTH_PORT must be a positive integer/],
    ['BERTH_PORT', '70000', /BERTH_PORT must be a TCP port/],
    ['BERTH_ADMIN_PORT', '-1', /BERTH_ADMIN_PORT/],
    ['DATABASE_URL', 'mysql://root:hunter2@x/db', /DATABASE_URL must be/],
    ['REDIS_URL', 'localhost:6379', /REDIS_URL must be/],
    ['DOCKER_HOST', '/var/run/docker.sock', /DOCKER_HOST must be/],
    ['BERTH_LOG_LEVEL', 'loud', /BERTH_LOG_LEVEL must be one of/],
    ['BERTH_PUBLIC_IP', 'box.example', /BERTH_PUBLIC_IP must be an IPv4 address/],
    ['BERTH_DNS_SERVERS', '1.1.1.1,dns.example', /BERTH_DNS_SERVERS must be IPv4 addresses/],
    ['BERTH_DNS_SERVERS', '127.0.0.1:99999', /BERTH_DNS_SERVERS/],
    ['BERTH_CLOUDFLARE_API', 'api.cloudflare.com', /BERTH_CLOUDFLARE_API must be an http\(s\) URL/],
    ['BERTH_DIGITALOCEAN_API', 'ftp://x', /BERTH_DIGITALOCEAN_API must be an http\(s\) URL/],
    ['BERTH_ROUTE53_ENDPOINT', 'nope', /BERTH_ROUTE53_ENDPOINT/],
  ])('refuses %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('refuses a stale time that a healthy worker could reach', () => {
    expect(() => loadConfig({ BERTH_TASK_HEARTBEAT_MS: '60000', BERTH_TASK_STALE_MS: '1000' })).toThrow(/BERTH_TASK_STALE_MS .* at least 3 × BERTH_TASK_HEARTBEAT_MS/);
  });

  it('keeps passwords in URLs out of the message', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@x/db' })).toThrow(/root:\*\*\*@/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@x/db' })).not.toThrow(/hunter2/);
  });
});
