// The API's JSON error envelope as exceptions:
// {"error": {"code": "not_found", "message": "Message not found.", "request_id": "…", "field"?: …}}

/** An error answer of the API (or a transport failure, with `status` 0). */
export class MemoryMeshError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
    readonly requestId: string | null = null,
    /** Seconds, from `Retry-After`. */
    readonly retryAfter: number | null = null,
  ) {
    super(field ? `${code}: ${message} (field: ${field})` : `${code}: ${message}`);
    this.name = new.target.name;
  }
}

export class BadRequest extends MemoryMeshError {}
/** 401: missing, wrong, expired or revoked credential. */
export class Unauthorized extends MemoryMeshError {}
/** 403: a valid credential that may not do this (a read key writing, another tenant). */
export class Forbidden extends MemoryMeshError {}
/** 404: no such thing in the credential's tenant (another tenant's ids are not found). */
export class NotFound extends MemoryMeshError {}
export class Conflict extends MemoryMeshError {}
/** 422: a value is out of bounds or malformed; `field` names it. */
export class ValidationFailed extends MemoryMeshError {}
/** 429: over a request budget; `retryAfter` says when to try again. */
export class RateLimited extends MemoryMeshError {}
/** 503/504: the database or model is unavailable, or the request timed out. */
export class Unavailable extends MemoryMeshError {}
/** 500: the server failed; `requestId` finds it in the server's log. */
export class ServerError extends MemoryMeshError {}

const byStatus: Record<number, typeof MemoryMeshError> = {
  400: BadRequest,
  401: Unauthorized,
  403: Forbidden,
  404: NotFound,
  409: Conflict,
  422: ValidationFailed,
  429: RateLimited,
  503: Unavailable,
  504: Unavailable,
};

/** The exception for an error answer: its envelope's fields when it has one. */
export function fromResponse(status: number, body: unknown, retryAfter: number | null): MemoryMeshError {
  const envelope = (body as { error?: Record<string, unknown> } | null)?.error;
  const detail = envelope && typeof envelope === "object"
    ? envelope
    : { code: `http_${status}`, message: typeof body === "string" && body ? body.slice(0, 500) : `HTTP ${status}` };
  const Kind = byStatus[status] ?? (status >= 500 ? ServerError : MemoryMeshError);
  return new Kind(
    status,
    String(detail.code ?? `http_${status}`),
    String(detail.message ?? ""),
    (detail.field as string | undefined) ?? null,
    (detail.request_id as string | undefined) ?? null,
    retryAfter,
  );
}
