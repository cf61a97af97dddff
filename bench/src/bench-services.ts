/**
 * The core services as the server builds them, on the bench's database and with the server's secret:
 * the bench mints what a client would hold (access tokens, refresh-token chains, mfa_tokens) and measures
 * the refresh ceiling with the very code the server runs, minus HTTP.
 */
import { createKeySetProvider, createTokenService, type TokenService } from "@app/auth";
import {
  createDatabase,
  createMfaService,
  createSessionService,
  createSigningKeyStore,
  createUserService,
  type Database,
  type PasswordHasher,
} from "@app/core";

/** `iss` the bench's servers stamp and require; the bench mints its tokens with the same. */
export const BENCH_ISSUER = "http://bench.invalid";

/**
 * Password checks are the one thing these services never do for the bench: seeding TOTP for thousands
 * of users through a real hash would take minutes and measure nothing the login phases do not.
 */
const noPasswordCheck: PasswordHasher = {
  hash: async () => {
    throw new Error("the bench's services do not hash passwords");
  },
  verify: async () => true,
};

export interface BenchServices {
  database: Database;
  tokens: TokenService;
  users: ReturnType<typeof createUserService>;
  sessions: ReturnType<typeof createSessionService>;
  mfa: ReturnType<typeof createMfaService>;
  close(): Promise<void>;
}

/** Tokens sign like the server's: EdDSA with the active key in the database. */
export async function createBenchServices(url: string, secret: string, poolSize = 1): Promise<BenchServices> {
  const database = await createDatabase({ url, poolSize });
  try {
    const { active } = await createSigningKeyStore({
      db: database.db,
      secret,
      accessTokenTtlSeconds: 3600,
    }).load();
    const tokens = createTokenService({
      algorithm: "EdDSA",
      keys: createKeySetProvider({ activeKid: active.kid, keys: [{ ...active }] }),
      ttlSeconds: 3600,
      issuer: BENCH_ISSUER,
      audience: "user-management",
    });
    return {
      database,
      tokens,
      users: createUserService({ db: database.db, passwords: noPasswordCheck }),
      sessions: createSessionService({ db: database.db, accessTokens: tokens, secret }),
      mfa: createMfaService({
        db: database.db,
        passwords: noPasswordCheck,
        secret,
        issuer: "bench",
        webauthn: { rpId: "bench.invalid", rpName: "bench", origins: [BENCH_ISSUER] },
      }),
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
