/**
 * The refresh ceiling, in one of N forked processes (N = the server's process count): the session
 * service's own `refresh` (the same transaction the server runs: read, lock the user row, spend the
 * token, touch the session, store and sign the successor) with the server's pool size and no HTTP.
 * Each of `inFlight` loops rotates its own chain, as each connection of the refresh phase does.
 */
import { createBenchServices } from "./bench-services.js";
import { type CeilingMessage, idOf, type RefreshCeilingSpec } from "./load-spec.js";

const send = (message: CeilingMessage) => process.send?.(message);

process.once("message", async (spec: RefreshCeilingSpec) => {
  const services = await createBenchServices(spec.url, spec.secret, spec.poolSize);
  try {
    // One chain per loop, each for its own user, started (and refreshed once) before the clock starts.
    const chains = await Promise.all(
      Array.from({ length: spec.inFlight }, async (_, index) => {
        const user = await services.users.getProfile(idOf(spec.firstUser + index));
        const first = await services.sessions.start(user);
        return (await services.sessions.refresh(first.refreshToken)).refreshToken;
      }),
    );
    send({ ready: true });
    await new Promise<void>((resolve) => process.once("message", () => resolve()));
    const started = performance.now();
    const deadline = started + spec.durationSeconds * 1000;
    let operations = 0;
    const loop = async (index: number) => {
      let token = chains[index] as string;
      while (performance.now() < deadline) {
        token = (await services.sessions.refresh(token)).refreshToken;
        operations += 1;
      }
    };
    await Promise.all(chains.map((_, index) => loop(index)));
    send({ rate: operations / ((performance.now() - started) / 1000), operations });
  } catch (error) {
    send({ error: error instanceof Error ? error.message : String(error) });
  } finally {
    await services.close();
  }
  process.disconnect();
});
