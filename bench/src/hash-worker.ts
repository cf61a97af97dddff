/**
 * A password-hashing ceiling, in one of N forked processes (N = the server's process count): `inFlight`
 * loops of one verify with the algorithm under test, as many as libuv's thread pool runs at once in the
 * server. bcrypt goes through `@app/auth` (what the server calls); Argon2id through @node-rs/argon2,
 * whose parameters are those in the PHC string the orchestrator hashed (the server's settings).
 */
import { verifyPassword } from "@app/auth";
import { verify as verifyArgon2 } from "@node-rs/argon2";
import type { CeilingMessage, HashCeilingSpec } from "./load-spec.js";

const send = (message: CeilingMessage) => process.send?.(message);

process.once("message", async (spec: HashCeilingSpec) => {
  const verify =
    spec.algorithm === "bcrypt"
      ? () => verifyPassword(spec.password, spec.hash)
      : () => verifyArgon2(spec.hash, spec.password);
  try {
    // One verify first, so lazy initialisation is not timed.
    if (!(await verify())) throw new Error(`the precomputed ${spec.algorithm} hash does not verify`);
    send({ ready: true });
    await new Promise<void>((resolve) => process.once("message", () => resolve()));
    const started = performance.now();
    const deadline = started + spec.durationSeconds * 1000;
    // Each loop's rate is its verifies ÷ the time to its last completion: a verify still running at the
    // deadline is neither counted nor waited for, so the estimate is not quantised by whole verifies.
    const loop = async () => {
      let done = 0;
      let last = started;
      while (performance.now() < deadline) {
        await verify();
        done += 1;
        last = performance.now();
      }
      return { done, seconds: (last - started) / 1000 };
    };
    const loops = await Promise.all(Array.from({ length: spec.inFlight }, loop));
    const rate = loops.reduce((sum, l) => sum + (l.seconds > 0 ? l.done / l.seconds : 0), 0);
    send({ rate, operations: loops.reduce((sum, l) => sum + l.done, 0) });
  } catch (error) {
    send({ error: error instanceof Error ? error.message : String(error) });
  }
  process.disconnect();
});
