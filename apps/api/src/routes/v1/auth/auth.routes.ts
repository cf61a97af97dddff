/**
 * Signing in through another identity provider. The browser goes to `/authorize` (302 to the provider,
 * with the flow sealed into a cookie scoped to the callback), comes back to `/callback`, and lands on the
 * web app's `/oidc-callback` with a one-time login code in the URL fragment (never a token in a URL, and
 * a fragment reaches no server log or Referer). The web app exchanges the code at `/exchange` for the
 * same answer a password login gets, the mfa-required step included.
 */
import {
  EmailNotVerifiedError,
  IdentityAccountExistsError,
  IdentityEmailUnverifiedError,
  IdentityTakenError,
  InactiveUserError,
  InvalidLoginCodeError,
} from "@app/core";
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppDeps, AppEnv, OidcDeps } from "../../../app-env.js";
import { auditContextOf } from "../../../audit-context.js";
import { rateLimitByAddress } from "../../../middleware/rate-limit.js";
import { requireUser } from "../../../middleware/require-user.js";
import { FLOW_TTL_SECONDS } from "../../../oidc/flow-cookie.js";
import { type IdentityProvider, ProviderCallbackError } from "../../../oidc/relying-party.js";
import { PROBLEM_CONTENT_TYPE, RequestProblem } from "../../../problem.js";
import { validationHook } from "../../../validation.js";
import { BEARER_SECURITY, jsonContent, problemResponses } from "../../openapi-helpers.js";
import { mfaRequiredProblemSchema } from "../users/mfa.wire.js";
import { createRefreshCookies } from "../users/refresh-cookie.js";
import { sessionTokenResponse, TOKEN_DELIVERY_NOTE, tokenDeliveryHeaders } from "../users/users.wire.js";
import {
  authorizeQuerySchema,
  callbackQuerySchema,
  exchangeBodySchema,
  linkTicketSchema,
  providerListSchema,
  providerParamSchema,
} from "./auth.wire.js";

const FLOW_COOKIE = "oidc_flow";
const LINK_COOKIE = "oidc_link";

const providersRoute = createRoute({
  method: "get",
  path: "/providers",
  tags: ["auth"],
  summary: "Identity providers you can sign in with",
  description: "Public: the sign-in page shows one button per item. Empty when none is configured.",
  responses: { 200: jsonContent(providerListSchema, "The configured providers") },
});

const authorizeRoute = createRoute({
  method: "get",
  path: "/{provider}/authorize",
  tags: ["auth"],
  summary: "Start signing in (or linking) with a provider",
  description:
    "Navigate the browser here (top level). Answers 302 to the provider's authorization endpoint (code flow, PKCE S256, `state`, and `nonce` for OpenID Connect), and sets a short-lived, encrypted, HttpOnly, SameSite=Lax cookie scoped to the callback path. `intent=link` links the provider to the signed-in user whose browser holds the link cookie from POST /v1/auth/{provider}/link-ticket (401 without it).",
  request: { params: providerParamSchema, query: authorizeQuerySchema },
  responses: {
    302: { description: "To the provider" },
    ...problemResponses(401, 404, 422, 429, 503),
  },
});

const callbackRoute = createRoute({
  method: "get",
  path: "/{provider}/callback",
  tags: ["auth"],
  summary: "The provider's redirect back (the redirect URI to register)",
  description:
    "Checks `state` against the flow cookie, redeems the code (PKCE) and, for OpenID Connect, the ID token (issuer, audience, nonce, expiry, signature through the provider's JWKS). Answers 302 to the web app's `/oidc-callback` with, in the URL fragment, `code` (a one-time login code, 60 s, for POST /v1/auth/exchange) and `return_to`; or `linked=<provider>` after a link; or `error=<reason>`: `invalid_state`, `provider_denied`, `token_rejected`, `provider_unavailable`, `account_exists` (an account has this verified email: sign in to it and link from the profile), `email_unverified`, `identity_taken`, `account_inactive`, `link_expired`.",
  request: { params: providerParamSchema, query: callbackQuerySchema },
  responses: {
    302: { description: "To the web app" },
    ...problemResponses(404, 429, 503),
  },
});

const exchangeRoute = createRoute({
  method: "post",
  path: "/exchange",
  tags: ["auth"],
  summary: "Exchange a one-time login code for tokens",
  description:
    "The code from the callback's redirect, once, within 60 s. Answers like POST /v1/users/login: 200 the token response, or 403 `/problems/mfa-required` (finish at /v1/users/login/mfa) when the account has a second factor and the provider's `amr` does not stand for it (`OIDC_<NAME>_TRUST_AMR`).\n\n" +
    TOKEN_DELIVERY_NOTE,
  request: {
    headers: tokenDeliveryHeaders,
    body: { required: true, content: { "application/json": { schema: exchangeBodySchema } } },
  },
  responses: {
    200: sessionTokenResponse("An access token and a refresh token"),
    ...problemResponses(400, 401, 413, 415, 422, 429, 503),
    403: {
      content: { [PROBLEM_CONTENT_TYPE]: { schema: mfaRequiredProblemSchema } },
      description:
        "The account has a second factor (type `/problems/mfa-required`, with `mfa_token` and `methods`), its email is not verified under REQUIRE_VERIFIED_EMAIL, or cookie mode from a foreign Origin (type `/problems/cross-site-request`)",
    },
  },
});

const linkTicketRoute = createRoute({
  method: "post",
  path: "/{provider}/link-ticket",
  tags: ["auth"],
  summary: "A ticket to link a provider to your account",
  description:
    "A top-level navigation carries no bearer token, so the signed-in user first gets a single-use ticket (60 s) here, as an HttpOnly, SameSite=Strict cookie scoped to the authorize path (never in a URL: a link that another site makes a browser follow finds no ticket), then navigates to `authorize_url`. The ticket dies with a password change or sign-out everywhere.",
  security: BEARER_SECURITY,
  request: { params: providerParamSchema },
  responses: {
    200: jsonContent(linkTicketSchema, "The ticket and where to send the browser"),
    ...problemResponses(401, 404, 503),
  },
});

export function authRoutes(deps: AppDeps) {
  const { oidc, sessions, mfa } = deps;
  const authenticated = requireUser(deps);
  const cookies = createRefreshCookies({ webOrigins: deps.webOrigins ?? [] });
  const loginByAddress = rateLimitByAddress({
    limiter: deps.rateLimiter,
    metrics: deps.metrics,
    windowSeconds: deps.rateLimits.windowSeconds,
    clientAddress: deps.clientAddress,
    name: "login_address",
    limit: deps.rateLimits.loginPerAddress,
  });

  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
    .openapi(providersRoute, (c) =>
      c.json(
        { items: (oidc?.providers.list() ?? []).map((p) => ({ id: p.settings.id, name: p.settings.name })) },
        200,
      ),
    )
    .openapi({ ...authorizeRoute, middleware: [loginByAddress] as const }, async (c) => {
      const { oidc: o, provider } = providerOf(oidc, c.req.valid("param").provider);
      const query = c.req.valid("query");
      let link: { userId: string; tokensBoundary: number } | undefined;
      if (query.intent === "link") {
        const value = getCookie(c, LINK_COOKIE);
        deleteCookie(c, LINK_COOKIE, {
          path: authorizePath(provider),
          secure: o.publicUrl.startsWith("https://"),
        });
        if (!value) throw new InvalidLoginCodeError();
        const ticket = await o.identities.redeemLinkTicket(value, provider.settings.id);
        link = { userId: ticket.user.id, tokensBoundary: ticket.tokensBoundary.getTime() };
      }
      const begun = await provider.begin(redirectUri(o, provider));
      const sealed = await o.flowCookies.seal({
        provider: provider.settings.id,
        state: begun.state,
        nonce: begun.nonce,
        codeVerifier: begun.codeVerifier,
        returnTo: query.return_to,
        link,
      });
      setCookie(c, FLOW_COOKIE, sealed, {
        path: callbackPath(provider),
        httpOnly: true,
        // Lax, not Strict: the provider's redirect back is a cross-site top-level navigation.
        sameSite: "Lax",
        secure: o.publicUrl.startsWith("https://"),
        maxAge: FLOW_TTL_SECONDS,
      });
      c.header("Cache-Control", "no-store");
      return c.redirect(begun.url.href, 302);
    })
    .openapi({ ...callbackRoute, middleware: [loginByAddress] as const }, async (c) => {
      const { oidc: o, provider } = providerOf(oidc, c.req.valid("param").provider);
      const flow = await o.flowCookies.open(getCookie(c, FLOW_COOKIE), provider.settings.id);
      // The flow is spent whatever happens: a second callback with the same cookie finds nothing.
      deleteCookie(c, FLOW_COOKIE, {
        path: callbackPath(provider),
        secure: o.publicUrl.startsWith("https://"),
      });
      c.header("Cache-Control", "no-store");
      const toWebApp = (fragment: Record<string, string>) =>
        c.redirect(`${o.publicUrl}/oidc-callback#${new URLSearchParams(fragment)}`, 302);
      try {
        if (!flow) throw new ProviderCallbackError("invalid_state");
        // The URL the provider redirected to, rebuilt on the public URL (a proxy may have rewritten the host).
        const callbackUrl = new URL(`${redirectUri(o, provider)}${new URL(c.req.url).search}`);
        const finished = await provider.finish(callbackUrl, flow);
        const context = auditContextOf(c, deps);
        if (flow.link) {
          await o.identities.link(flow.link.userId, finished.profile, new Date(flow.link.tokensBoundary), {
            ...context,
            actor: { type: "user", id: flow.link.userId },
          });
          return toWebApp({ linked: provider.settings.id });
        }
        const { user } = await o.identities.signIn(
          finished.profile,
          { trustEmail: provider.settings.trustEmail },
          context,
        );
        const { code } = await o.identities.issueLoginCode(user, {
          provider: provider.settings.id,
          amr: finished.secondFactorDone ? ["mfa", ...finished.amr.filter((v) => v !== "mfa")] : [],
          secondFactorDone: finished.secondFactorDone,
        });
        return toWebApp({ code, ...(flow.returnTo ? { return_to: flow.returnTo } : {}) });
      } catch (error) {
        const reason = callbackFailure(error);
        if (!reason) throw error;
        // The reason and the error's class only: a cause may quote the provider's response.
        c.var.logger.warn(
          {
            provider: provider.settings.id,
            reason,
            ...(error instanceof ProviderCallbackError && error.check ? { check: error.check } : {}),
            err: { type: (error as Error).name },
          },
          "identity provider sign-in refused",
        );
        return toWebApp({ error: reason });
      }
    })
    .openapi({ ...exchangeRoute, middleware: [loginByAddress, cookies.guard] as const }, async (c) => {
      if (!oidc) throw new InvalidLoginCodeError();
      const { user, ticket } = await oidc.identities.redeemLoginCode(c.req.valid("json").code);
      if (deps.requireVerifiedEmail && user.emailVerifiedAt === null) throw new EmailNotVerifiedError();
      // A provider sign-in is a first factor like a password: the account's second factor still applies.
      if (!ticket.secondFactorDone) await mfa.requireSecondFactor(user);
      c.set("user", user);
      const tokens = await sessions.start(user, {
        amr: ticket.amr,
        context: auditContextOf(c, deps),
        method: `provider:${ticket.provider}`,
      });
      return cookies.respondWithTokens(c, tokens);
    })
    .openapi({ ...linkTicketRoute, middleware: [authenticated] as const }, async (c) => {
      const { oidc: o, provider } = providerOf(oidc, c.req.valid("param").provider);
      const { code, expiresInSeconds } = await o.identities.issueLinkTicket(c.var.user, provider.settings.id);
      // A cookie only this site can set: a link planted elsewhere cannot link someone's provider account
      // to the account of whoever made the link.
      setCookie(c, LINK_COOKIE, code, {
        path: authorizePath(provider),
        httpOnly: true,
        sameSite: "Strict",
        secure: o.publicUrl.startsWith("https://"),
        maxAge: expiresInSeconds,
      });
      const authorizeUrl = `${authorizePath(provider)}?${new URLSearchParams({ intent: "link", return_to: "/profile" })}`;
      return c.json({ expires_in: expiresInSeconds, authorize_url: authorizeUrl }, 200, {
        "Cache-Control": "no-store",
      });
    });
}

function providerOf(oidc: OidcDeps | undefined, id: string): { oidc: OidcDeps; provider: IdentityProvider } {
  const provider = oidc?.providers.get(id);
  if (!oidc || !provider) throw new RequestProblem("NOT_FOUND", `No identity provider "${id.slice(0, 64)}".`);
  return { oidc, provider };
}

function authorizePath(provider: IdentityProvider): string {
  return `/v1/auth/${provider.settings.id}/authorize`;
}

function callbackPath(provider: IdentityProvider): string {
  return `/v1/auth/${provider.settings.id}/callback`;
}

function redirectUri(oidc: OidcDeps, provider: IdentityProvider): string {
  return `${oidc.publicUrl}${callbackPath(provider)}`;
}

/** The web app's words for a callback that ends without a sign-in; undefined: not the user's problem (a 5xx). */
function callbackFailure(error: unknown): string | undefined {
  if (error instanceof ProviderCallbackError) return error.reason;
  if (error instanceof IdentityAccountExistsError) return "account_exists";
  if (error instanceof IdentityEmailUnverifiedError) return "email_unverified";
  if (error instanceof IdentityTakenError) return "identity_taken";
  if (error instanceof InactiveUserError) return "account_inactive";
  if (error instanceof InvalidLoginCodeError) return "link_expired";
  return undefined;
}
