/**
 * One replica's view of the signing keys, as a separate process: opens the PostgreSQL database at
 * argv[2], runs the key store at the instant argv[3] (epoch ms), performs argv[4] (`ensure` or
 * `rotate`), and prints the active kid and the published kids as one JSON line. It connects first,
 * prints `ready`, and acts only once a line arrives on stdin, so a test can release several at once.
 */
import { once } from "node:events";
import { createDatabase } from "../db/client.js";
import { createSigningKeyStore } from "../signing-keys/signing-key-store.js";

const [url, clock, action = "ensure"] = process.argv.slice(2);
const database = await createDatabase({ url, poolSize: 2 });
try {
  await database.ping();
  process.stdout.write("ready\n");
  await once(process.stdin, "data");
  const store = createSigningKeyStore({
    db: database.db,
    secret: "two-process test secret",
    publishAheadSeconds: 3600,
    accessTokenTtlSeconds: 900,
    now: () => Number(clock),
  });
  const created = action === "rotate" ? [(await store.rotateNow()).kid] : (await store.ensureKeys()).created;
  const { active, published } = await store.load();
  process.stdout.write(
    `${JSON.stringify({ created, active: active.kid, published: published.map((jwk) => jwk.kid) })}\n`,
  );
} finally {
  await database.close();
}
