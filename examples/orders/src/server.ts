/** `node dist/server.js` with JWKS_URL, ISSUER and AUDIENCE (and PORT) set. */
import { createTokenVerifier } from "@app/auth";
import { serve } from "@hono/node-server";
import { createOrdersApp } from "./app.js";
import { loadOrdersConfig } from "./config.js";

const config = loadOrdersConfig();
const verifier = createTokenVerifier({
  jwksUrl: config.jwksUrl,
  issuer: config.issuer,
  audience: config.audience,
  cooldownSeconds: config.jwksCooldownSeconds,
});
const server = serve(
  { fetch: createOrdersApp({ verifier }).fetch, port: config.port, hostname: config.host },
  (info) => process.stdout.write(`${JSON.stringify({ msg: "listening", port: info.port })}\n`),
);
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
