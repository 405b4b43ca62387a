import fs from 'node:fs';
import { notFound } from '../core/errors';

export interface Context {
  name: string;
  config: Record<string, unknown>;
}

/**
 * Contexts group tenants under one configuration (a plan, a brand, a reseller), as cozy-stack's do. They come
 * from a JSON file (`BERTH_CONTEXTS_FILE`: `{"<name>": {…config…}}`); `default` always exists.
 */
export class Contexts {
  private readonly byName: Map<string, Context>;

  constructor(contexts: Record<string, Record<string, unknown>>) {
    this.byName = new Map(Object.entries({ default: {}, ...contexts }).map(([name, config]) => [name, { name, config }]));
  }

  static fromFile(file: string | undefined): Contexts {
    if (!file) return new Contexts({});
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`BERTH_CONTEXTS_FILE ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`BERTH_CONTEXTS_FILE ${file}: must hold an object of contexts`);
    return new Contexts(parsed as Record<string, Record<string, unknown>>);
  }

  list(): Context[] {
    return [...this.byName.values()];
  }

  get(name: string): Context {
    const context = this.byName.get(name);
    if (!context) throw notFound(`No context ${name}`);
    return context;
  }
}
