import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppDeps, AppEnv } from "../app-env.js";
import { jsonContent } from "./openapi-helpers.js";

const publishedJwkSchema = z
  .object({
    kty: z.literal("OKP"),
    crv: z.literal("Ed25519"),
    x: z.string().openapi({ description: "The public key, base64url (RFC 8037)" }),
    kid: z.string().openapi({ description: "RFC 7638 thumbprint; the `kid` in a token's header" }),
    alg: z.literal("EdDSA"),
    use: z.literal("sig"),
  })
  .openapi("PublicJwk");

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["tokens"],
  summary: "The public keys that verify access tokens (RFC 7517); empty with JWT_ALGORITHM=HS256",
  description:
    "Public parts only. Holds the key that signs now, its successor ahead of time, and retired keys until their last token has expired. Cache it for at most the `max-age` of `Cache-Control`, and refetch it (rate-limited) on an unknown `kid`.",
  responses: {
    200: jsonContent(z.object({ keys: z.array(publishedJwkSchema) }).openapi("Jwks"), "The key set"),
  },
});

export function jwksRoutes({ jwks }: Pick<AppDeps, "jwks">) {
  return new OpenAPIHono<AppEnv>().openapi(jwksRoute, (c) =>
    c.json(jwks.keySet(), 200, { "Cache-Control": `public, max-age=${jwks.maxAgeSeconds}` }),
  );
}
