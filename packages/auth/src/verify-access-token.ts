import { createMiddleware } from "hono/factory";
import type { AccessTokenClaims } from "./access-token-claims.js";
import { InvalidTokenError, KeySetUnavailableError } from "./errors.js";

/** Hono variables set by `verifyAccessToken`. */
export interface AccessTokenEnv {
  Variables: { claims: AccessTokenClaims };
}

export interface VerifyAccessTokenOptions {
  /** A `createTokenVerifier(...)`, or a token service's own `verify`. */
  verifier: { verify(token: string): Promise<AccessTokenClaims> };
  /** The `realm` of `WWW-Authenticate` (default `"api"`). */
  realm?: string;
}

const BEARER = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i;

/**
 * Hono middleware: `Authorization: Bearer <token>` → verified claims in `c.var.claims`. A missing or
 * refused token gets 401 problem+json with `WWW-Authenticate` (RFC 6750); a key set that cannot be
 * fetched gets 503, since signing in again would not help.
 * @example
 * const verifier = createTokenVerifier({ jwksUrl, issuer, audience: "user-management" });
 * const app = new Hono<AccessTokenEnv>();
 * app.use("/orders/*", verifyAccessToken({ verifier }));
 * app.get("/orders", (c) => c.json(listOrders(c.var.claims.sub)));
 */
export function verifyAccessToken({ verifier, realm = "api" }: VerifyAccessTokenOptions) {
  return createMiddleware<AccessTokenEnv>(async function verifyAccessToken(c, next) {
    const header = c.req.header("authorization");
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (header === undefined) {
      return problem(401, "Unauthenticated", "This endpoint needs a bearer access token.", {
        "WWW-Authenticate": `Bearer realm="${realm}"`,
      });
    }
    try {
      if (token === undefined) throw new InvalidTokenError("malformed");
      c.set("claims", await verifier.verify(token));
    } catch (error) {
      if (error instanceof KeySetUnavailableError) {
        return problem(503, "Service unavailable", "The token issuer's keys could not be fetched.", {
          "Retry-After": "5",
        });
      }
      if (!(error instanceof InvalidTokenError)) throw error;
      const detail =
        error.reason === "expired" ? "The access token has expired." : "The access token is invalid.";
      return problem(401, "Invalid token", detail, {
        "WWW-Authenticate": `Bearer realm="${realm}", error="invalid_token", error_description="${detail}"`,
      });
    }
    return next();
  });
}

function problem(status: 401 | 503, title: string, detail: string, headers: Record<string, string>) {
  return new Response(JSON.stringify({ type: "about:blank", title, status, detail }), {
    status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}
