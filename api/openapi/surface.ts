import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import multer from 'multer';
import type OpenAPIBackend from 'openapi-backend';
import type { Context, Operation } from 'openapi-backend';
import { BerthError, notFound, toBerthError, validationError } from '../../services/core/errors';
import type { Principal } from '../../services/auth/principal';
import { createBackend } from './backend';
import type { OpenApiDocument } from './document';
import type { HandlersOf, TypedCall } from './typed-call';
import { describeValidationError } from './validation-message';

/** One validated request, before it is typed by its operation (see typed-call.ts). */
export interface Call {
  operationId: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** Set on operations that need a token; undefined on public ones. */
  principal: Principal | undefined;
  ip: string;
  req: Request;
  res: Response;
}

/** The bytes of an uploaded file field (multipart/form-data), if the request carried one. */
export function uploadedFile(call: Pick<Call, 'req'>, field: string): Buffer | undefined {
  return ((call.req.files as Express.Multer.File[] | undefined) ?? []).find((f) => f.fieldname === field)?.buffer;
}

/** What a handler answers; `undefined` when it wrote the response itself (streams, files). */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string | number>;
}

export interface SurfaceSecurity {
  /** Finds the principal behind the request's credentials; rejects with a BerthError (401, or 400). */
  authenticate(req: Request, res: Response): Promise<Principal>;
  /** Throws (403) when the principal may not run the operation. Runs before body validation. */
  authorize(operation: Operation, principal: Principal): void;
}

/** `Ops` is the document's `operations` interface as openapi-typescript generates it. */
export interface SurfaceOptions<Ops> {
  name: string;
  /** URL prefixes the surface answers under, e.g. `/api/v1` or `/health`. */
  mounts: string[];
  document: OpenApiDocument;
  handlers: HandlersOf<Ops>;
  /** Writes an error in this surface's own format. */
  renderError(res: Response, error: BerthError): void;
  bodyLimit: number;
  security?: SurfaceSecurity;
}

export interface Surface {
  name: string;
  mounts: string[];
  document: OpenApiDocument;
  backend: OpenAPIBackend;
  router: Router;
}

const principals = new WeakMap<Request, Promise<Principal>>();
/** The request as handed to openapi-backend, so routing hooks can adjust it before validation. */
const apiRequests = new WeakMap<Request, { query: Record<string, unknown> }>();

/**
 * Builds an HTTP surface from its OpenAPI document: openapi-backend routes and validates every request
 * (auth first, then path, query and body), and a handler turns the validated request into one service call.
 * Start-up fails when an operation has no handler or a handler has no operation.
 */
export async function createSurface<Ops>(options: SurfaceOptions<Ops>): Promise<Surface> {
  const apiRoot = serverUrl(options.document);
  const backend = await createBackend(options.document, { apiRoot });
  checkHandlers(backend, options);
  const { renderError, security } = options;
  const fail = (res: Response, err: unknown) => {
    const error = toBerthError(err);
    if (error.status >= 500) res.req.log?.error({ err }, 'request failed');
    renderError(res, error);
  };

  const authenticate = (req: Request, res: Response): Promise<Principal> => {
    let pending = principals.get(req);
    if (!pending) {
      pending = security!.authenticate(req, res);
      principals.set(req, pending);
    }
    return pending;
  };

  backend.register({
    notFound: (c: Context, _req: Request, res: Response) =>
      fail(res, notFound(`No route for ${c.request.method.toUpperCase()} ${c.request.path}`)),
    methodNotAllowed: (c: Context, _req: Request, res: Response) => {
      res.setHeader('Allow', allowedMethods(backend, c.request.path).join(', ').toUpperCase());
      fail(res, new BerthError('METHOD_NOT_ALLOWED', 405, `${c.request.method.toUpperCase()} is not allowed here`));
    },
    unauthorizedHandler: (c: Context, _req: Request, res: Response) => {
      const results = Object.values(c.security ?? {}) as Array<{ error?: unknown } | undefined>;
      fail(res, results.find((r) => r && typeof r === 'object' && r.error)?.error ?? new BerthError('UNAUTHORIZED', 401, 'Authentication required'));
    },
    // Unknown query parameters (cache busters such as `?_=123`) are ignored; unknown body fields are not.
    postRoutingHandler: (c: Context, req: Request) => {
      const apiRequest = apiRequests.get(req);
      if (!c.operation || !apiRequest) return;
      const known = new Set(((c.operation.parameters ?? []) as Array<{ in: string; name: string }>).filter((p) => p.in === 'query').map((p) => p.name));
      for (const key of Object.keys(apiRequest.query)) if (!known.has(key)) delete apiRequest.query[key];
    },
    postSecurityHandler: async (c: Context, req: Request) => {
      if (security && c.security?.authorized && (c.operation.security ?? []).length > 0) {
        security.authorize(c.operation, await authenticate(req, req.res!));
      }
    },
    validationFail: (c: Context, _req: Request, res: Response) => {
      const { message, field } = describeValidationError(c.validation.errors ?? []);
      fail(res, validationError(message, { field }));
    },
  });

  if (security) {
    for (const scheme of securitySchemes(options.document)) {
      backend.registerSecurityHandler(scheme, (_c: Context, req: Request, res: Response) => authenticate(req, res));
    }
  }

  for (const operationId of Object.keys(options.handlers) as Array<keyof Ops & string>) {
    const handler = options.handlers[operationId];
    backend.register(operationId, async (c: Context, req: Request, res: Response) => {
      const needsAuth = (c.operation.security ?? []).length > 0;
      const call: Call = {
        operationId,
        params: c.request.params as Record<string, string>,
        query: c.request.query as Record<string, unknown>,
        body: c.request.requestBody,
        principal: needsAuth ? await authenticate(req, res) : undefined,
        ip: req.ip ?? req.socket.remoteAddress ?? '',
        req,
        res,
      };
      // openapi-backend has validated the request against this very operation, whose types the handler has.
      const reply = await handler(call as TypedCall<Ops[typeof operationId]>);
      if (reply) send(res, reply);
    });
  }

  // Credentials sent as query parameters (`?access_token=`) are read by the authenticator, not validated as input.
  const credentialParams = queryCredentialNames(options.document);
  const router = express.Router();
  router.use(express.json({ limit: options.bodyLimit, verify: refuseNulInBody }));
  // File uploads (multipart/form-data) stay in memory: the document names each file field with
  // `format: binary`; validation sees the field as present, the handler reads the bytes from `req.files`.
  router.use(multer({ storage: multer.memoryStorage(), limits: { fileSize: options.bodyLimit, files: 4, fields: 20 } }).any(), (req, _res, next) => {
    for (const file of (req.files as Express.Multer.File[] | undefined) ?? []) {
      req.body = { ...(req.body ?? {}), [file.fieldname]: `<${file.size} bytes>` };
    }
    next();
  });
  router.use(async (req: Request, res: Response) => {
    if (/%00/.test(req.originalUrl)) return fail(res, validationError('The URL must not contain NUL characters'));
    try {
      const apiRequest = {
        // HEAD is answered as GET (Express sends no body for it), for uptime monitors.
        method: req.method === 'HEAD' ? 'GET' : req.method,
        path: req.baseUrl + req.path,
        query: { ...withoutKeys(req.query as Record<string, string>, credentialParams) },
        body: req.body,
        headers: req.headers as Record<string, string>,
      };
      apiRequests.set(req, apiRequest);
      await backend.handleRequest(apiRequest, req, res);
    } catch (err) {
      fail(res, err);
    }
  });
  // Errors from the body parser, in this surface's format.
  router.use((err: { type?: string; code?: string; status?: number; name?: string }, _req: Request, res: Response, _next: NextFunction) => {
    fail(res, bodyParserError(err, options.bodyLimit));
  });

  return { name: options.name, mounts: options.mounts, document: options.document, backend, router };
}

/**
 * No text Berth stores may hold U+0000: PostgreSQL refuses it, so it is refused here, for every surface,
 * before it can reach a query.
 */
function refuseNulInBody(_req: unknown, _res: unknown, body: Buffer): void {
  if (body.includes('\\u0000')) throw Object.assign(new Error('NUL in body'), { type: 'nul.character', status: 400 });
}

function send(res: Response, reply: Reply): void {
  res.status(reply.status);
  for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
  if (reply.body === undefined) res.end();
  else res.json(reply.body);
}

function bodyParserError(err: { type?: string; code?: string; status?: number; name?: string }, limit: number): BerthError {
  if (err.name === 'MulterError') {
    return err.code === 'LIMIT_FILE_SIZE' ? bodyParserError({ type: 'LIMIT_FILE_SIZE' }, limit) : new BerthError('BAD_REQUEST', 400, 'Bad multipart upload');
  }
  switch (err.type) {
    case 'entity.too.large':
      return new BerthError('PAYLOAD_TOO_LARGE', 413, `Request body is larger than ${limit} bytes`);
    case 'LIMIT_FILE_SIZE':
      return new BerthError('PAYLOAD_TOO_LARGE', 413, `Uploaded file is larger than ${limit} bytes`);
    case 'nul.character':
      return validationError('Strings must not contain NUL (\\u0000) characters');
    case 'entity.parse.failed':
      return new BerthError('MALFORMED_JSON', 400, 'Request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new BerthError('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported request body encoding');
    default:
      return err.status && err.status >= 400 && err.status < 500
        ? new BerthError('BAD_REQUEST', err.status, 'Bad request body')
        : toBerthError(err);
  }
}

/** The document's first server URL (`/api/v1`) is where its paths start. */
function serverUrl(document: OpenApiDocument): string {
  const servers = document.servers as Array<{ url: string }> | undefined;
  return servers?.[0]?.url ?? '/';
}

type SecurityScheme = { type: string; in?: string; name?: string };

function securitySchemes(document: OpenApiDocument): string[] {
  const components = document.components as { securitySchemes?: Record<string, SecurityScheme> } | undefined;
  return Object.keys(components?.securitySchemes ?? {});
}

function queryCredentialNames(document: OpenApiDocument): string[] {
  const components = document.components as { securitySchemes?: Record<string, SecurityScheme> } | undefined;
  return Object.values(components?.securitySchemes ?? {})
    .filter((scheme) => scheme.type === 'apiKey' && scheme.in === 'query' && scheme.name)
    .map((scheme) => scheme.name as string);
}

function withoutKeys(query: Record<string, string>, keys: string[]): Record<string, string> {
  if (!keys.some((key) => key in query)) return query;
  const copy = { ...query };
  for (const key of keys) delete copy[key];
  return copy;
}

function allowedMethods(backend: OpenAPIBackend, path: string): string[] {
  return ['get', 'post', 'put', 'patch', 'delete'].filter((method) => {
    try {
      return Boolean(backend.router.matchOperation({ method, path, headers: {} }, true));
    } catch {
      return false;
    }
  });
}

function checkHandlers<Ops>(backend: OpenAPIBackend, options: SurfaceOptions<Ops>): void {
  const operations = backend.getOperations().map((op) => op.operationId as string);
  const missing = operations.filter((id) => !(id in (options.handlers as object)));
  const orphans = Object.keys(options.handlers).filter((id) => !operations.includes(id));
  if (missing.length || orphans.length) {
    throw new Error(
      `${options.name} API: ` +
        (missing.length ? `operations without a handler: ${missing.join(', ')}. ` : '') +
        (orphans.length ? `handlers without an operation: ${orphans.join(', ')}.` : ''),
    );
  }
}
