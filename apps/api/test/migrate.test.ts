/**
 * `pnpm db:migrate` (dist/migrate.js) as a real process: it honours the configured database timeouts
 * like the server does, so an unreachable database fails the migration quickly instead of after the
 * driver's own 30 s.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const MIGRATE_ENTRY = fileURLToPath(new URL("../dist/migrate.js", import.meta.url));

/** A TCP listener that accepts and never answers: a PostgreSQL that hangs during the handshake. */
const silent = createServer((socket) => held.push(socket));
const held: Socket[] = [];
let port = 0;

beforeAll(async () => {
  if (!existsSync(MIGRATE_ENTRY)) throw new Error(`${MIGRATE_ENTRY} is missing: build @app/api first`);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const address = silent.address();
  port = typeof address === "object" && address ? address.port : 0;
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

function runMigrate(env: Record<string, string>, killAfterMs: number) {
  const started = Date.now();
  const child = spawn(process.execPath, [MIGRATE_ENTRY], {
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  return new Promise<{ code: number | null; elapsedMs: number; stderr: string }>((resolve) => {
    child.once("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, elapsedMs: Date.now() - started, stderr });
    });
  });
}

describe("pnpm db:migrate", () => {
  it("gives up on a silent database after DATABASE_CONNECT_TIMEOUT_SECONDS, not the driver's 30 s", async () => {
    const result = await runMigrate(
      {
        DATABASE_URL: `postgres://app@127.0.0.1:${port}/app`,
        DATABASE_CONNECT_TIMEOUT_SECONDS: "1",
      },
      25_000,
    );
    expect(result.stderr).toMatch(/^migration failed: .*CONNECT_TIMEOUT/m);
    expect(result.code).toBe(1);
    // One second of timeout plus a node start-up; generous for a loaded machine, far below 30 s.
    expect(result.elapsedMs).toBeLessThan(12_000);
  }, 30_000);
});
