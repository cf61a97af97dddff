/**
 * The web app's session cookie. A browser asks for it per request with `X-Token-Delivery: cookie`: the
 * refresh token then travels in an HttpOnly cookie instead of the JSON body, so a script on the page
 * (an XSS bug) never sees it, and the access token stays in the page's memory. API clients that do not
 * send the header get the JSON bodies they always had.
 *
 * The cookie is set twice under one name, once per path that reads it (`/v1/users/token/refresh` and
 * `/v1/users/logout`): a browser sends it to those two routes and nowhere else, not to the other
 * `/v1/users/…` calls a shared `/v1/users` path would reach.
 *
 * Cross-site request forgery is refused three ways: the cookie is SameSite=Strict, every cookie-mode
 * request must carry the custom header (a cross-site form cannot set one, and a cross-origin fetch with
 * it needs a CORS preflight this service never grants), and its `Origin` must be the service's own or a
 * configured web origin. A refusal is 403 `/problems/cross-site-request`.
 *
 * Whatever issues a session for the browser (login, its second step, passkey sign-in, a one-time code
 * exchange) answers through `respondWithTokens`, so the cookie rules live here only.
 */
import type { SessionTokens } from "@app/core";
import type { Context, TypedResponse } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../../../app-env.js";
import { RequestProblem } from "../../../problem.js";
import { type CookieTokenResponse, type TokenResponse, toTokenResponse } from "./users.wire.js";

/**
 * Any route's context: the helpers read headers and cookies and write headers, nothing route-specific.
 * Hono's Context is invariant in its type parameters, so only `any` accepts every route's.
 */
// biome-ignore lint/suspicious/noExplicitAny: see above
type AnyContext = Context<any, string, any>;

/** The opt-in (and the CSRF custom header): `X-Token-Delivery: cookie`. */
export const TOKEN_DELIVERY_HEADER = "X-Token-Delivery";
export const COOKIE_DELIVERY = "cookie";
/** Without `Secure` (plain-http localhost). */
export const REFRESH_COOKIE = "um_refresh";
/** With `Secure`: the `__Secure-` prefix makes browsers refuse the cookie from a non-secure origin. */
export const SECURE_REFRESH_COOKIE = "__Secure-um_refresh";
/** The routes that read the cookie; it is sent to these and nowhere else. */
export const REFRESH_COOKIE_PATHS = ["/v1/users/token/refresh", "/v1/users/logout"] as const;

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

export interface RefreshCookieOptions {
  /**
   * Origins (scheme://host[:port]) of the web app besides the request's own: the public URL's and the
   * WebAuthn origins, which name where the pages are served when a proxy terminates TLS.
   */
  webOrigins: readonly string[];
}

export interface RefreshCookies {
  /** True when the request asked for cookie delivery (`X-Token-Delivery: cookie`). */
  wantsCookie(c: AnyContext): boolean;
  /**
   * Refuses (403) a cookie-mode request without the header or from a foreign origin. On the routes that
   * read the cookie, a request carrying the cookie is in cookie mode even without the header, so a forged
   * one is refused rather than ignored.
   */
  guard: ReturnType<typeof createMiddleware<AppEnv>>;
  /** The refresh token from the cookie, if the browser sent one. */
  read(c: AnyContext): string | undefined;
  /**
   * The token response: in cookie mode the refresh token goes into the cookie and out of the body,
   * otherwise the body is the usual one. Always `no-store` (RFC 6749 §5.1).
   */
  respondWithTokens<C extends AnyContext>(
    c: C,
    tokens: SessionTokens,
  ): Response & TypedResponse<TokenResponse | CookieTokenResponse, 200, "json">;
  /** Expires both copies of the cookie (sign-out, a refused refresh token). */
  clear(c: AnyContext): void;
}

export function createRefreshCookies(options: RefreshCookieOptions): RefreshCookies {
  const configured = new Set(options.webOrigins.map((origin) => new URL(origin).origin));

  function wantsCookie(c: AnyContext): boolean {
    return c.req.header(TOKEN_DELIVERY_HEADER)?.trim().toLowerCase() === COOKIE_DELIVERY;
  }

  function cookieName(c: AnyContext): string {
    return isSecure(c) ? SECURE_REFRESH_COOKIE : REFRESH_COOKIE;
  }

  function read(c: AnyContext): string | undefined {
    const value = getCookie(c, cookieName(c));
    return value === undefined || value === "" ? undefined : value;
  }

  function allowedOrigin(c: AnyContext, origin: string): boolean {
    return configured.has(origin) || origin === new URL(c.req.url).origin;
  }

  const guard = createMiddleware<AppEnv>(async function refreshCookieGuard(c, next) {
    const hasCookie =
      getCookie(c, REFRESH_COOKIE) !== undefined || getCookie(c, SECURE_REFRESH_COOKIE) !== undefined;
    if (!wantsCookie(c) && !(hasCookie && readsCookie(c.req.path))) return next();
    if (!wantsCookie(c)) {
      throw crossSite(`A request with the session cookie must send \`${TOKEN_DELIVERY_HEADER}: cookie\`.`);
    }
    if (c.req.header("sec-fetch-site") === "cross-site") {
      throw crossSite("Cross-site requests cannot use the session cookie.");
    }
    const origin = c.req.header("origin");
    if (origin === undefined || !allowedOrigin(c, origin)) {
      throw crossSite("The request's Origin is not this service's.");
    }
    return next();
  });

  function clear(c: AnyContext): void {
    const secure = isSecure(c);
    for (const path of REFRESH_COOKIE_PATHS) {
      deleteCookie(c, cookieName(c), { path, secure, httpOnly: true, sameSite: "Strict" });
    }
  }

  function respondWithTokens(c: AnyContext, tokens: SessionTokens) {
    const body: TokenResponse = toTokenResponse(tokens);
    if (!wantsCookie(c)) return c.json<TokenResponse | CookieTokenResponse, 200>(body, 200, NO_STORE);
    const secure = isSecure(c);
    for (const path of REFRESH_COOKIE_PATHS) {
      setCookie(c, cookieName(c), tokens.refreshToken, {
        path,
        secure,
        httpOnly: true,
        sameSite: "Strict",
        maxAge: tokens.refreshExpiresIn,
      });
    }
    const { refresh_token: _inTheCookie, ...withoutRefresh } = body;
    return c.json<TokenResponse | CookieTokenResponse, 200>(withoutRefresh, 200, NO_STORE);
  }

  return { wantsCookie, guard, read, respondWithTokens, clear };
}

/** RFC 6749 §5.1: token responses must not be cached. */
const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" } as const;

/** Secure everywhere but plain-http loopback, where browsers would drop a Secure cookie. */
function isSecure(c: AnyContext): boolean {
  const url = new URL(c.req.url);
  return !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname));
}

function readsCookie(path: string): boolean {
  return (REFRESH_COOKIE_PATHS as readonly string[]).includes(path.replace(/\/+$/, ""));
}

function crossSite(detail: string): RequestProblem {
  return new RequestProblem("CROSS_SITE_REQUEST", detail);
}
