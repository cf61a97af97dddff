/**
 * `pnpm keys:rotate [--retire-old]`: a new access-token signing key signs from now on. The old key
 * stops signing and stays in the JWKS until its last token has expired; with `--retire-old` (a key
 * may have leaked) every old key is deleted at once, so the tokens it signed stop verifying as soon
 * as each replica and verifier reloads the keys. Uses the server's environment (DATABASE_URL or
 * DATA_DIR, KEY_ENCRYPTION_SECRET or JWT_SECRET). Running replicas pick the new key up within
 * JWT_KEY_RELOAD_SECONDS, or at once on a token that names it.
 * Exit codes: 0 rotated, 1 it failed, 2 bad arguments or no configured encryption secret.
 */
import { parseArgs } from "node:util";
import { createSigningKeyStore } from "@app/core";
import { ConfigError, loadConfigFromEnvironment } from "../config.js";
import { openDatabase } from "../deps.js";

const USAGE = `usage: keys:rotate [--retire-old]

Creates a new signing key for access tokens that signs from now on. The previous key stays published
until the tokens it signed have expired; --retire-old deletes every previous key now instead, so their
tokens are refused (use it when a key may have leaked; every user must sign in again).`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      "retire-old": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadConfigFromEnvironment();
  const keys = config.jwt.signingKeys;
  if (keys.encryptionSecretSource === "generated") {
    // A key sealed under a secret that dies with this command could never be read by a server.
    throw new UsageError(
      "set KEY_ENCRYPTION_SECRET (or JWT_SECRET), the same as the servers', so they can decrypt the new key",
    );
  }
  if (config.jwt.algorithm !== "EdDSA") {
    process.stderr.write("note: JWT_ALGORITHM is HS256, so the service does not sign with these keys\n");
  }
  const database = await openDatabase(config);
  try {
    const store = createSigningKeyStore({
      db: database.db,
      secret: keys.encryptionSecret,
      rotationDays: keys.rotationDays,
      publishAheadSeconds: keys.publishAheadSeconds,
      accessTokenTtlSeconds: config.jwt.ttlSeconds,
      retiredKeyLeewaySeconds: Math.max(60, config.jwt.leewaySeconds),
    });
    const result = await store.rotateNow({ retireOldImmediately: values["retire-old"] });
    process.stdout.write(`new signing key ${result.kid}\n`);
    for (const kid of result.retired)
      process.stdout.write(`retired ${kid} (published until its tokens expire)\n`);
    for (const kid of result.removed) process.stdout.write(`removed ${kid}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(
      error instanceof ConfigError ? `${error.message}\n` : `failed: ${describeFailure(error)}\n`,
    );
    process.exit(1);
  },
);

/** Drizzle's own message holds the SQL; the driver's cause says what actually went wrong. */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}
