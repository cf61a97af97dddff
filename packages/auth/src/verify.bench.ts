import { bench, describe } from "vitest";
import { createKeySetProvider, generateSigningKeyPair } from "./signing-keys.js";
import { createTokenService, type TokenService } from "./tokens.js";

// Run with `pnpm exec vitest bench --run src/verify.bench.ts`; not part of `pnpm test`.
const secret = "a-test-secret-that-is-at-least-32-bytes-long";
const pair = await generateSigningKeyPair();
const keys = createKeySetProvider({ activeKid: pair.kid, keys: [pair] });
const eddsa = { algorithm: "EdDSA", keys, issuer: "https://id.test", audience: "user-management" } as const;
const services = {
  hs256: createTokenService({ secret, ttlSeconds: 3600 }),
  hs256NoCache: createTokenService({ secret, ttlSeconds: 3600, verifiedTokenCacheSize: 0 }),
  eddsa: createTokenService({ ...eddsa, ttlSeconds: 3600 }),
  eddsaNoCache: createTokenService({ ...eddsa, ttlSeconds: 3600, verifiedTokenCacheSize: 0 }),
};

/** 1000 distinct tokens, verified round-robin: what a busy process sees from its active clients. */
async function hotTokens(service: TokenService) {
  const issued = await Promise.all(
    Array.from({ length: 1000 }, (_, i) => service.issue({ subject: `u${i}` })),
  );
  let next = 0;
  return () => (issued[next++ % issued.length] as { token: string }).token;
}

const hs256Token = await hotTokens(services.hs256);
const eddsaToken = await hotTokens(services.eddsa);

describe("TokenService.verify", () => {
  bench("HS256, no cache", () => services.hs256NoCache.verify(hs256Token()).then(() => undefined), {
    time: 2000,
  });
  bench("HS256, cached", () => services.hs256.verify(hs256Token()).then(() => undefined), { time: 2000 });
  bench("EdDSA, no cache", () => services.eddsaNoCache.verify(eddsaToken()).then(() => undefined), {
    time: 2000,
  });
  bench("EdDSA, cached", () => services.eddsa.verify(eddsaToken()).then(() => undefined), { time: 2000 });
});
