/**
 * The database ceiling, in one of N forked processes (N = the server's process count): postgres.js alone,
 * with the server's pool size, looking users up by primary key with the columns the app selects.
 */
import postgres from "postgres";
import { type CeilingMessage, type DatabaseCeilingSpec, idOf } from "./load-spec.js";

const send = (message: CeilingMessage) => process.send?.(message);

process.once("message", async (spec: DatabaseCeilingSpec) => {
  const sql = postgres(spec.url, { max: spec.poolSize, onnotice: () => {} });
  const lookup = () =>
    sql`select id, email, full_name, is_active, is_superuser, password_changed_at, created_at, updated_at
      from users where id = ${idOf(1 + Math.floor(Math.random() * spec.users))}`;
  try {
    // Open every pooled connection (and prepare the statement on each) before the clock starts.
    await Promise.all(Array.from({ length: spec.poolSize * 2 }, lookup));
    send({ ready: true });
    await new Promise<void>((resolve) => process.once("message", () => resolve()));
    const started = performance.now();
    const deadline = started + spec.durationSeconds * 1000;
    let operations = 0;
    const loop = async () => {
      while (performance.now() < deadline) {
        await lookup();
        operations += 1;
      }
    };
    await Promise.all(Array.from({ length: spec.inFlight }, loop));
    send({ rate: operations / ((performance.now() - started) / 1000), operations });
  } catch (error) {
    send({ error: error instanceof Error ? error.message : String(error) });
  } finally {
    await sql.end({ timeout: 5 });
  }
  process.disconnect();
});
