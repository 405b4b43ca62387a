import type { App } from '../apps/app-repo';
import type { NginxConfig } from '../core/config';
import type { AppHost } from '../apps/app-dns-step';

/** Apps may take uploads this large; nginx's 1 MiB default breaks most of them. */
const MAX_BODY = '1g';

/** The `map` every site's WebSocket proxying uses: upgrade when the client asks, else close. */
export function renderShared(): string {
  return [
    '# Written by Berth: shared by the app sites in this folder.',
    'map $http_upgrade $berth_connection_upgrade {',
    '  default upgrade;',
    "  ''      close;",
    '}',
    '',
  ].join('\n');
}

type SiteConfig = Pick<NginxConfig, 'httpPort' | 'httpsPort' | 'sitesDir'>;
type CertFiles = { cert: string; key: string };

/**
 * One app's site: plain HTTP redirects to HTTPS; HTTPS (one server block per name, each with its domain's
 * certificate, keyed by fqdn) proxies to the app's loopback port, WebSockets included, with HSTS. At a bare
 * domain, the domain's well-known documents (keyed by fqdn) come before the app.
 */
export function renderAppSite(
  app: Pick<App, 'id' | 'fqdn' | 'httpPort'>,
  hosts: AppHost[],
  certs: Record<string, CertFiles>,
  config: SiteConfig,
  wellKnown: Record<string, WellKnownFiles> = {},
): string {
  const upstream = `127.0.0.1:${app.httpPort}`;
  return renderSite(
    `# Written by Berth for app ${app.id} (${app.fqdn}); replaced by every app task, do not edit.`,
    hosts.map((h) => ({ fqdn: h.fqdn, cert: certs[h.fqdn], upstream, wellKnown: wellKnown[h.fqdn] })),
    config,
  );
}

/** A domain's well-known documents: each key (`matrix/server`) and the file nginx serves it from. */
export type WellKnownFiles = { key: string; file: string }[];

/**
 * The bare domain's documents at https://<domain>/.well-known/<key>, for a domain no app is installed at (an
 * app at the bare domain serves them in its own site); anything else there is 404.
 */
export function renderWellKnownSite(domain: string, cert: CertFiles, files: WellKnownFiles, config: SiteConfig): string {
  return renderSite(`# Written by Berth: the well-known documents of ${domain}; replaced by domain changes, do not edit.`, [{ fqdn: domain, cert, upstream: null, wellKnown: files }], config);
}

/** The dashboard's site: `my.<domain>` over HTTPS, proxied to Berth's own HTTP listener. */
export function renderDashboardSite(instanceId: string, fqdn: string, cert: CertFiles, upstream: string, config: SiteConfig): string {
  return renderSite(`# Written by Berth: the dashboard of tenant ${instanceId}; replaced by setup and domain changes, do not edit.`, [{ fqdn, cert, upstream }], config);
}

/** `upstream` null: no proxying, only the well-known documents. */
type Server = { fqdn: string; cert: CertFiles; upstream: string | null; wellKnown?: WellKnownFiles };

function renderSite(comment: string, servers: Server[], config: SiteConfig): string {
  const httpsSuffix = config.httpsPort === 443 ? '' : `:${config.httpsPort}`;
  const lines = [
    comment,
    'server {',
    `  listen ${config.httpPort};`,
    `  server_name ${servers.map((s) => s.fqdn).join(' ')};`,
    // ACME HTTP-01 challenges (challenge-store.ts) are answered here, before the redirect to HTTPS.
    `  location ^~ /.well-known/acme-challenge/ { root ${config.sitesDir}/acme-challenge; default_type text/plain; }`,
    `  location / { return 301 https://$host${httpsSuffix}$request_uri; }`,
    '}',
  ];
  for (const { fqdn, cert, upstream, wellKnown = [] } of servers) {
    lines.push(
      'server {',
      `  listen ${config.httpsPort} ssl;`,
      `  server_name ${fqdn};`,
      `  ssl_certificate ${cert.cert};`,
      `  ssl_certificate_key ${cert.key};`,
      '  ssl_protocols TLSv1.2 TLSv1.3;',
      '  add_header Strict-Transport-Security "max-age=63072000" always;',
      `  client_max_body_size ${MAX_BODY};`,
      ...wellKnown.flatMap(({ key, file }) => [
        `  location = /.well-known/${key} {`,
        `    alias ${file};`,
        '    types { }',
        '    default_type application/json;',
        // add_header here replaces the server's: HSTS is repeated.
        '    add_header Strict-Transport-Security "max-age=63072000" always;',
        '    add_header Access-Control-Allow-Origin "*" always;',
        '  }',
      ]),
      ...(upstream ? proxyLocation(upstream) : ['  location / { return 404; }']),
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Everything else at the name goes to the upstream, WebSockets included. */
function proxyLocation(upstream: string): string[] {
  return [
    '  location / {',
    `    proxy_pass http://${upstream};`,
    '    proxy_http_version 1.1;',
    '    proxy_set_header Host $host;',
    '    proxy_set_header X-Real-IP $remote_addr;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    proxy_set_header X-Forwarded-Proto https;',
    '    proxy_set_header X-Forwarded-Host $host;',
    '    proxy_set_header Upgrade $http_upgrade;',
    '    proxy_set_header Connection $berth_connection_upgrade;',
    '    proxy_read_timeout 3600s;',
    '    proxy_buffering off;',
    '  }',
  ];
}
