// The console's one way to the API: same origin, the session in the HttpOnly cookie (never read
// here), the CSRF token copied from its readable cookie into the header on every change.
// Paths, parameters, bodies and replies are typed from schema.d.ts (generated from openapi.json),
// so a change of the API that breaks a page fails the type check.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
type Method = "get" | "post" | "put" | "patch" | "delete";
type PathsWith<M extends Method> = {
  [P in keyof paths]: [NonNullable<paths[P][M]>] extends [never] ? never : P;
}[keyof paths];
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type JsonOf<R> = R extends { content: { "application/json": infer B } } ? B : undefined;
type Success<Op> = Op extends { responses: infer R }
  ? R extends { 200: infer A }
    ? JsonOf<A>
    : R extends { 201: infer B }
      ? JsonOf<B>
      : R extends { 202: infer C }
        ? JsonOf<C>
        : undefined
  : never;
type BodyOf<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;
type ParamsOf<Op, K extends "path" | "query"> = Op extends { parameters: { [key in K]?: infer Q } }
  ? NonNullable<Q>
  : never;

export interface Options<Op> {
  path?: ParamsOf<Op, "path">;
  query?: ParamsOf<Op, "query">;
  body?: BodyOf<Op>;
  /** Extra request headers a route documents (e.g. Idempotency-Key); never a secret. */
  headers?: Record<string, string>;
}

const CSRF_COOKIE = "__Host-gatehouse_csrf";
const CSRF_HEADER = "X-CSRF-Token";
const WARNING_HEADER = "Gatehouse-Warning";

/** A refusal from the API in its one error shape: status, code, message and per-field details. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Array<Record<string, string>>,
  ) {
    super(message);
  }

  /** The refusals of one body field (a 422's details name it as a dotted path, e.g. body.name). */
  forField(field: string): string[] {
    return this.details.filter((d) => (d.field ?? "").split(".").includes(field)).map((d) => d.reason ?? "");
  }
}

type WarningListener = (warning: string | null) => void;
const warningListeners = new Set<WarningListener>();

/** Called with the API's Gatehouse-Warning (or null) after every reply: the banner follows it. */
export function onWarning(listener: WarningListener): () => void {
  warningListeners.add(listener);
  return () => warningListeners.delete(listener);
}

function csrfToken(): string | null {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === CSRF_COOKIE) return value.join("=");
  }
  return null;
}

export function fillPath(template: string, params: Record<string, unknown> | undefined): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined || value === null) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
}

/** The URL of a GET route, for links the browser follows itself (CSV exports). */
export function urlOf<P extends PathsWith<"get">>(path: P, options: Options<Operation<P, "get">> = {}): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries((options.query ?? {}) as Record<string, unknown>)) {
    if (value !== undefined && value !== null) query.set(key, String(value));
  }
  const search = query.toString();
  return fillPath(path, options.path as Record<string, unknown>) + (search ? `?${search}` : "");
}

/** A body that is not JSON (a CSV file to import), sent as it is with its content type. */
export interface RawBody {
  content: Blob | string;
  type: string;
}

async function send<P extends keyof paths, M extends Method>(
  method: M,
  path: P,
  options: Options<Operation<P, M>>,
  raw?: RawBody,
): Promise<Success<Operation<P, M>>> {
  const headers: Record<string, string> = { Accept: "application/json", ...(options.headers ?? {}) };
  const init: RequestInit = { method: method.toUpperCase(), headers, credentials: "same-origin" };
  if (method !== "get") {
    const token = csrfToken();
    if (token) headers[CSRF_HEADER] = token;
  }
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  } else if (raw !== undefined) {
    headers["Content-Type"] = raw.type;
    init.body = raw.content;
  }
  const reply = await fetch(urlOf(path as PathsWith<"get">, options as Options<never>), init);
  const warning = reply.headers.get(WARNING_HEADER);
  warningListeners.forEach((listener) => listener(warning));
  const text = await reply.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!reply.ok) throw refusal(reply.status, parsed);
  return parsed as Success<Operation<P, M>>;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function refusal(status: number, body: unknown): ApiError {
  const error = (body as { error?: Schemas["ErrorInfo"] } | undefined)?.error;
  if (error) {
    return new ApiError(status, error.code, error.message, error.details ?? []);
  }
  return new ApiError(status, "http_error", `the server answered ${status}`, []);
}

/** A GET route whose answer is text (JSON Lines, CSV): the body as it came, or its refusal. */
export async function getText<P extends PathsWith<"get">>(path: P, options: Options<Operation<P, "get">> = {}): Promise<string> {
  const reply = await fetch(urlOf(path, options), { credentials: "same-origin" });
  const text = await reply.text();
  if (!reply.ok) throw refusal(reply.status, safeJson(text));
  return text;
}

export const api = {
  get: <P extends PathsWith<"get">>(path: P, options: Options<Operation<P, "get">> = {}) =>
    send("get", path, options),
  post: <P extends PathsWith<"post">>(path: P, options: Options<Operation<P, "post">> = {}) =>
    send("post", path, options),
  patch: <P extends PathsWith<"patch">>(path: P, options: Options<Operation<P, "patch">> = {}) =>
    send("patch", path, options),
  /** POST a body that is not JSON (e.g. text/csv); the reply is typed as the route's. */
  postRaw: <P extends PathsWith<"post">>(path: P, raw: RawBody, options: Options<Operation<P, "post">> = {}) =>
    send("post", path, options, raw),
  put: <P extends PathsWith<"put">>(path: P, options: Options<Operation<P, "put">> = {}) =>
    send("put", path, options),
  delete: <P extends PathsWith<"delete">>(path: P, options: Options<Operation<P, "delete">> = {}) =>
    send("delete", path, options),
};
