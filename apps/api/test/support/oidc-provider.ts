import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from "jose";
import Provider from "oidc-provider";

/** Who the provider's login step signs in next, with which claims. */
export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** RFC 8176 methods the provider says it checked (into the ID token's `amr`). */
  amr?: string[];
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The account the next authorization signs in as (no form: the interaction logs it in at once). */
  signInAs(account: TestAccount): void;
  /**
   * Rewrites the ID token of the next token response: `change` edits its claims, and the result is
   * re-signed with the provider's own key (same `kid`), or with a stranger's key under that `kid`.
   */
  tamperNextIdToken(
    change: (claims: Record<string, unknown>) => Record<string, unknown>,
    options?: { foreignKey?: boolean },
  ): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (panva's `oidc-provider`, OpenID certified) on a free loopback port, with one
 * confidential client for `redirectUris`. Its interaction logs in the account given to `signInAs` and
 * grants what was asked, so a test (or Chromium) runs the whole code flow without a form.
 */
export async function startTestOidcProvider({
  redirectUris,
}: {
  redirectUris: string[];
}): Promise<TestOidcProvider> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const privateJwk: JWK = {
    ...(await exportJWK(privateKey)),
    kid: "test-signing-key",
    alg: "RS256",
    use: "sig",
  };
  const accounts = new Map<string, TestAccount>();
  let next: TestAccount | undefined;
  let tamper:
    | { change: (claims: Record<string, unknown>) => Record<string, unknown>; foreignKey: boolean }
    | undefined;
  const clientId = "user-management";
  const clientSecret = "test-client-secret-0123456789abcdefghij";

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [privateJwk as never] },
    cookies: { keys: ["test-provider-cookie-key-0123456789"] },
    // `amr` with `openid`, so every ID token says how the provider authenticated the user.
    claims: { openid: ["sub", "amr"], email: ["email", "email_verified"], profile: ["name"] },
    // The claims go into the ID token itself (not only UserInfo), as many providers do.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        async claims() {
          const { amr: _amr, ...claims } = account;
          return claims;
        },
      };
    },
  });
  const callback = provider.callback();

  async function interact(req: IncomingMessage, res: ServerResponse) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === "login") {
      const account = next;
      if (!account) throw new Error("signInAs() was not called before the authorization");
      accounts.set(account.sub, account);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account.sub, ...(account.amr ? { amr: account.amr } : {}) } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({
      accountId: details.session?.accountId as string,
      clientId: details.params.client_id as string,
    });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** Lets the provider answer, then swaps the ID token in its JSON for the tampered one. */
  function rewriteTokenResponse(res: ServerResponse, change: NonNullable<typeof tamper>) {
    const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
    res.end = ((chunk?: unknown) => {
      void (async () => {
        const body = JSON.parse(String(chunk)) as Record<string, unknown>;
        if (typeof body.id_token === "string") {
          const header = decodeProtectedHeader(body.id_token);
          const claims = change.change({ ...decodeJwt(body.id_token) });
          const key = change.foreignKey
            ? (await generateKeyPair("RS256")).privateKey
            : await importJWK(privateJwk, "RS256");
          body.id_token = await new SignJWT(claims)
            .setProtectedHeader({ alg: "RS256", kid: header.kid as string, typ: "JWT" })
            .sign(key);
        }
        const out = JSON.stringify(body);
        res.setHeader("content-length", Buffer.byteLength(out));
        end(out);
      })();
      return res;
    }) as typeof res.end;
  }

  server.on("request", (req, res) => {
    if (req.method === "GET" && req.url?.startsWith("/interaction/")) {
      interact(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    if (tamper && req.method === "POST" && req.url?.startsWith("/token")) {
      rewriteTokenResponse(res, tamper);
      tamper = undefined;
    }
    callback(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    signInAs(account) {
      next = account;
    },
    tamperNextIdToken(change, options = {}) {
      tamper = { change, foreignKey: options.foreignKey ?? false };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
