import type { Call, Reply } from './surface';

/**
 * Handler types from the documents. openapi-typescript (`npm run generate:client`) turns each document into
 * an `operations` interface, the same one the CLI's client uses; these types turn one of its operations into
 * the call its handler gets. A body field renamed in the YAML then breaks `tsc` in the handler that reads it.
 */

type Content<C> = C extends { 'application/json': infer B } ? B : C extends { 'multipart/form-data': infer F } ? F : never;

/** The validated request body: JSON, or the fields of a multipart upload; undefined where there is none. */
export type BodyOf<Op> = Op extends { requestBody?: never }
  ? undefined
  : Op extends { requestBody: { content: infer C } }
    ? Content<C>
    : Op extends { requestBody?: { content: infer C } }
      ? Content<C> | undefined
      : undefined;

/** Path parameters arrive as strings: the router reads them from the URL after validation has coerced its copy. */
export type PathOf<Op> = Op extends { parameters: { path: infer P } } ? { [K in keyof P]: string } : Record<string, never>;

/** Query parameters, coerced by validation to the document's types; unknown ones are dropped before that. */
export type QueryOf<Op> = Op extends { parameters: { query?: infer Q } }
  ? [NonNullable<Q>] extends [never]
    ? Record<string, never>
    : NonNullable<Q>
  : Record<string, never>;

/** One validated request to the operation `Op`, as its handler sees it. */
export type TypedCall<Op> = Omit<Call, 'params' | 'query' | 'body'> & { params: PathOf<Op>; query: QueryOf<Op>; body: BodyOf<Op> };

export type TypedHandler<Op> = (call: TypedCall<Op>) => Promise<Reply | undefined>;

/** A handler for every operation of a generated `operations` interface. */
export type HandlersOf<Ops> = { [Id in keyof Ops]: TypedHandler<Ops[Id]> };
