import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import acme from 'acme-client';
import type { CertificatePair } from '../domains/fallback-cert';
import type { ChallengeStore } from './challenge-store';

/** Gets certificates from an ACME CA: one name through HTTP-01, or several (a wildcard among them) through DNS-01. */
export interface AcmeIssuer {
  issue(request: { directoryUrl: string; accountKey: string; fqdn: string; email?: string }): Promise<CertificatePair>;
  /** One certificate for all `names`, each authorisation answered with a TXT record in `dns`. */
  issueByDns(request: { directoryUrl: string; accountKey: string; names: string[]; email?: string; dns: Dns01Records }): Promise<CertificatePair>;
  /** A fresh account key (PEM), stored per tenant by the caller. */
  createAccountKey(): Promise<string>;
}

/** Where DNS-01 answers are published: the domain's DNS provider (dns-challenges.ts). */
export interface Dns01Records {
  /** Makes each `_acme-challenge.<name>` hold exactly its values, and returns once the resolvers see them. */
  publish(records: Map<string, string[]>): Promise<void>;
  /** Takes the records back; never throws (a failure is logged: the certificate does not depend on it). */
  clear(names: string[]): Promise<void>;
}

export interface AcmeClientOptions {
  challenges: ChallengeStore;
  /** A PEM bundle the CA's HTTPS endpoint is trusted with (Pebble's test root); unset: the system's roots. */
  caFile?: string;
  timeoutSecs: number;
}

/**
 * acme-client's `auto` flow: account (found or created by its key), order, HTTP-01 challenge written to the
 * challenge store the proxy serves on port 80, finalisation. acme-client's own pre-check of the challenge is
 * skipped: it would fetch http://<fqdn>/ from here, which the CA, not Berth, is in a position to resolve.
 */
export class AcmeClientIssuer implements AcmeIssuer {
  private readonly ca: Buffer | undefined;

  constructor(private readonly options: AcmeClientOptions) {
    this.ca = options.caFile ? fs.readFileSync(options.caFile) : undefined;
    // acme-client talks through its exported axios instance and offers no per-client agent: this is how a
    // private CA (Pebble) is trusted, for this process's ACME calls only.
    acme.axios.defaults.timeout = options.timeoutSecs * 1000;
    if (this.ca) acme.axios.defaults.httpsAgent = new https.Agent({ ca: this.ca });
  }

  async createAccountKey(): Promise<string> {
    return (await acme.crypto.createPrivateKey()).toString();
  }

  async issue(request: { directoryUrl: string; accountKey: string; fqdn: string; email?: string }): Promise<CertificatePair> {
    await this.probe(request.directoryUrl);
    const client = new acme.Client({ directoryUrl: request.directoryUrl, accountKey: request.accountKey });
    await this.account(client, request.email);
    const [key, csr] = await acme.crypto.createCsr({ commonName: request.fqdn, altNames: [request.fqdn] });
    const cert = await client.auto({
      csr,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`unsupported challenge ${challenge.type}`);
        this.options.challenges.put(challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        this.options.challenges.remove(challenge.token);
      },
    });
    return { cert, key: key.toString() };
  }

  /**
   * DNS-01 step by step rather than `auto`, which answers each authorisation on its own: `*.example.com` and
   * `example.com` both ask for `_acme-challenge.example.com`, so the record must hold both values at once.
   * All records are published, then every challenge is submitted; the records go whatever the outcome.
   * Authorisations the CA still holds as valid (reused from an earlier order) need no answer.
   */
  async issueByDns(request: { directoryUrl: string; accountKey: string; names: string[]; email?: string; dns: Dns01Records }): Promise<CertificatePair> {
    await this.probe(request.directoryUrl);
    const client = new acme.Client({ directoryUrl: request.directoryUrl, accountKey: request.accountKey });
    await this.account(client, request.email);
    const order = await client.createOrder({ identifiers: request.names.map((value) => ({ type: 'dns', value })) });
    const pending: { authz: acme.Authorization; challenge: acme.Authorization['challenges'][number] }[] = [];
    const records = new Map<string, string[]>();
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === 'dns-01');
      if (!challenge) throw new Error(`the CA offers no dns-01 challenge for ${authz.identifier.value}`);
      const name = `_acme-challenge.${authz.identifier.value}`;
      records.set(name, [...(records.get(name) ?? []), await client.getChallengeKeyAuthorization(challenge)]);
      pending.push({ authz, challenge });
    }
    let submitted = false;
    try {
      if (records.size) await request.dns.publish(records);
      submitted = true;
      for (const { challenge } of pending) await client.completeChallenge(challenge);
      await Promise.all(pending.map(({ challenge }) => client.waitForValidStatus(challenge)));
    } catch (err) {
      // Unanswered authorisations would linger as pending, which CAs limit per account.
      if (!submitted) await Promise.allSettled(pending.map(({ authz }) => client.deactivateAuthorization(authz)));
      throw err;
    } finally {
      if (records.size) await request.dns.clear([...records.keys()]);
    }
    const [key, csr] = await acme.crypto.createCsr({ commonName: request.names[0], altNames: request.names });
    const finalized = await client.finalizeOrder(order, csr);
    return { cert: await client.getCertificate(finalized), key: key.toString() };
  }

  /**
   * Finds the tenant's account by its key, else registers it. `auto` alone would "update" an existing account
   * with `{termsOfServiceAgreed}` on every later order, which strict CAs (Pebble) refuse as an empty update.
   */
  private async account(client: acme.Client, email: string | undefined) {
    try {
      await client.createAccount({ onlyReturnExisting: true });
    } catch {
      await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
    }
  }

  /**
   * One plain GET of the directory first: acme-client retries a connection error for over a minute and then
   * reports a TypeError, where the task log should say at once that (and why) the CA is unreachable.
   */
  private probe(url: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const get = url.startsWith('https:') ? https.get : http.get;
      const req = get(url, { ca: this.ca, timeout: this.options.timeoutSecs * 1000 }, (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else reject(new Error(`the ACME directory answered HTTP ${res.statusCode}`));
      });
      req.on('timeout', () => req.destroy(new Error(`the ACME directory did not answer within ${this.options.timeoutSecs}s`)));
      req.on('error', (err: NodeJS.ErrnoException) => reject(new Error(`the ACME directory is unreachable: ${err.code ?? err.message}`)));
    });
  }
}
