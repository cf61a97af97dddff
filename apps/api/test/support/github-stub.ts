import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface GithubStubUser {
  id: number;
  login: string;
  name: string | null;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface GithubStub {
  /** The base URL; the preset's endpoints are `<url>/login/oauth/authorize`, `<url>/login/oauth/access_token`, `<url>/api`. */
  url: string;
  clientId: string;
  clientSecret: string;
  signInAs(user: GithubStubUser): void;
  close(): Promise<void>;
}

/**
 * GitHub's OAuth web flow in miniature (node:http): authorize consents at once for the current user and
 * redirects back with a code; the token endpoint checks the client secret, the redirect URI and the PKCE
 * verifier and spends the code; `/api/user` and `/api/user/emails` answer for the token's user.
 */
export async function startGithubStub(): Promise<GithubStub> {
  const clientId = "gh-client";
  const clientSecret = "gh-secret-0123456789abcdef";
  let current: GithubStubUser | undefined;
  const codes = new Map<string, { user: GithubStubUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GithubStubUser>();

  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://stub");
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "GET" && url.pathname === "/login/oauth/authorize") {
        const redirectUri = url.searchParams.get("redirect_uri") ?? "";
        if (
          !current ||
          url.searchParams.get("client_id") !== clientId ||
          url.searchParams.get("code_challenge_method") !== "S256"
        )
          return json(400, { error: "bad_request" });
        const code = randomBytes(16).toString("hex");
        codes.set(code, {
          user: current,
          challenge: url.searchParams.get("code_challenge") ?? "",
          redirectUri,
        });
        const back = new URL(redirectUri);
        back.searchParams.set("code", code);
        back.searchParams.set("state", url.searchParams.get("state") ?? "");
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (req.method === "POST" && url.pathname === "/login/oauth/access_token") {
        const form = new URLSearchParams(await readBody(req));
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        const verifier = form.get("code_verifier") ?? "";
        const challenge = createHash("sha256").update(verifier).digest("base64url");
        // GitHub answers a bad code with 200 and an error body.
        if (
          !grant ||
          form.get("client_id") !== clientId ||
          form.get("client_secret") !== clientSecret ||
          form.get("redirect_uri") !== grant.redirectUri ||
          challenge !== grant.challenge
        )
          return json(200, { error: "bad_verification_code" });
        const token = `gho_${randomBytes(16).toString("hex")}`;
        tokens.set(token, grant.user);
        return json(200, { access_token: token, token_type: "bearer", scope: "read:user,user:email" });
      }
      const user = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!user) return json(401, { message: "Bad credentials" });
      if (url.pathname === "/api/user") return json(200, { id: user.id, login: user.login, name: user.name });
      if (url.pathname === "/api/user/emails") return json(200, user.emails);
      return json(404, { message: "Not Found" });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    clientId,
    clientSecret,
    signInAs(user) {
      current = user;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
