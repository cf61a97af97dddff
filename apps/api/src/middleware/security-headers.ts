/**
 * Security headers for every response, and the one switch a page needs.
 *
 * Every response gets the API's strict policy: `Content-Security-Policy: default-src 'none';
 * frame-ancestors 'none'` (JSON needs no resources and must never be framed), `X-Frame-Options: DENY`,
 * `X-Content-Type-Options: nosniff`, and no `X-Powered-By`.
 *
 * A route that serves an HTML page (the docs at /docs, the web app at /) opts into the page policy by
 * adding `pageSecurityHeaders()` as its middleware:
 *
 *   app.get("/docs", pageSecurityHeaders(), (c) => c.html(page));
 *   app.use("/assets/*", pageSecurityHeaders(), serveStatic({ root: "…" }));
 *   app.get("/docs", pageSecurityHeaders("default-src 'self'; style-src 'self' 'unsafe-inline'; …"), …);
 *
 * It sets `PAGE_CONTENT_SECURITY_POLICY` (scripts, styles, images and fetches from this origin only)
 * or the policy passed in; `apiSecurityHeaders` never overwrites a policy a route has set itself.
 */
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";

export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
export const PAGE_CONTENT_SECURITY_POLICY =
  "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'";

export function apiSecurityHeaders() {
  return secureHeaders({
    contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    xFrameOptions: "DENY",
    crossOriginResourcePolicy: "same-origin",
    // A page route's own Content-Security-Policy (pageSecurityHeaders) must survive.
    overwrite: false,
  });
}

/** Marks a route as an HTML page: it gets `policy` instead of the API's `default-src 'none'`. */
export function pageSecurityHeaders(policy: string = PAGE_CONTENT_SECURITY_POLICY) {
  return createMiddleware(async function pageSecurityHeaders(c, next) {
    await next();
    c.res.headers.set("Content-Security-Policy", policy);
  });
}

/**
 * CORS for the configured browser origins only (CORS_ORIGINS). With none configured no CORS header is
 * ever sent, so browsers keep every other origin out. Bearer tokens travel in a header, not a cookie,
 * so credentials mode stays off; the web app's session cookie is for its own origin only, and its
 * `X-Token-Delivery` header is deliberately not allowed here (see refresh-cookie.ts).
 */
export function corsForOrigins(origins: readonly string[]) {
  const allowed = new Set(origins);
  return cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ["GET", "POST", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type", "X-Request-Id"],
    exposeHeaders: ["X-Request-Id", "Retry-After", "Location", "WWW-Authenticate"],
    maxAge: 600,
  });
}
