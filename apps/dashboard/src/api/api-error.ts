// The error every fetcher throws for a non-2xx answer, carrying the admin API's error body.

import type { ConfigProblem } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
    /** Config validation problems, when the answer carried them. */
    readonly problems: ConfigProblem[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ApiError && error.isUnauthorized;
}

/** Reads `{"error":{message,code}, errors:[…]}` from an answer, tolerating any other body. */
export async function apiErrorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let message = `${res.status} ${res.statusText || "error"}`;
  let code: string | null = null;
  let problems: ConfigProblem[] = [];
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown; code?: unknown }; errors?: unknown };
    if (typeof body.error?.message === "string") message = body.error.message;
    if (typeof body.error?.code === "string") code = body.error.code;
    if (Array.isArray(body.errors)) problems = body.errors.filter(isProblem);
  } catch {
    if (text && text.length < 300) message = `${message}: ${text}`;
  }
  return new ApiError(res.status, message, code, problems);
}

function isProblem(value: unknown): value is ConfigProblem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.message === "string" && (v.path === undefined || typeof v.path === "string");
}
