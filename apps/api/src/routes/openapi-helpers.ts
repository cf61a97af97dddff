import type { z } from "@hono/zod-openapi";
import { PROBLEM_CONTENT_TYPE } from "../problem.js";
import { problemSchema } from "./v1/users/users.wire.js";

const DESCRIPTIONS: Record<number, string> = {
  400: "Malformed JSON body",
  401: "Missing, invalid or revoked credentials",
  403: "Signed in, but not allowed",
  404: "Not found",
  409: "Conflict with the current state",
  413: "Body over 16 KiB",
  415: "Body is not in a supported media type",
  422: "Validation failed; `errors` lists each field",
  429: "Too many attempts; see Retry-After",
  503: "The database is unavailable; retry later",
};

/**
 * Either scheme authorises a protected route: `bearerAuth` takes a pasted token, `oauth2` lets the docs'
 * "Authorize" log in through the password flow at `/v1/users/login`. Both send `Authorization: Bearer`.
 */
export const BEARER_SECURITY = [{ bearerAuth: [] }, { oauth2: [] }];

/** The documented error responses of a route, all RFC 9457 problems. */
export function problemResponses<const S extends readonly (keyof typeof DESCRIPTIONS & number)[]>(
  ...statuses: S
) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: DESCRIPTIONS[status] ?? "Error",
        content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
      },
    ]),
  ) as Record<
    S[number],
    { description: string; content: { [PROBLEM_CONTENT_TYPE]: { schema: typeof problemSchema } } }
  >;
}

export function jsonContent<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
