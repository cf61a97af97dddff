/**
 * A very short end-to-end run of the built bench (a few seconds): database created, migrated, seeded
 * and dropped, the built server started, autocannon and the ceilings in their own processes, the JSON
 * written. The numbers themselves are not judged here: this machine is shared.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";
import type { BenchReport } from "./report.js";

const RUN = fileURLToPath(new URL("../dist/run.js", import.meta.url));
const databaseUrl = process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
let folder: string | undefined;
let bench: ChildProcess | undefined;

afterAll(async () => {
  // A test that timed out leaves the bench running: SIGINT makes it stop its server and drop its database.
  if (bench && bench.exitCode === null) bench.kill("SIGINT");
  if (folder) await rm(folder, { recursive: true, force: true });
});

function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RUN, ...args], {
      env: { PATH: process.env["PATH"] ?? "", TEST_DATABASE_URL: databaseUrl },
    });
    bench = child;
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("pnpm bench, end to end in a few seconds", () => {
  it("runs health, /me, refresh, the second factor and login on Node and leaves no database behind", async () => {
    expect(existsSync(RUN), `${RUN} is missing: build @app/bench first (turbo does)`).toBe(true);
    folder = await mkdtemp(join(tmpdir(), "bench-smoke-"));
    const output = join(folder, "result.json");
    const { code, stdout, stderr } = await runBench([
      "--only",
      "health,me,refresh,mfa,login",
      "--runtime",
      "node",
      "--skip-node24",
      "--password-hash",
      "bcrypt",
      "--mfa-users",
      "150",
      "--scale-small-only",
      "--duration",
      "1",
      "--connections",
      "4",
      "--ceiling-duration",
      "1",
      "--bcrypt-duration",
      "2",
      "--bcrypt-connections",
      "2",
      "--cost",
      "10",
      "--web-concurrency",
      "1",
      "--small-users",
      "100",
      "--output",
      output,
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/^phase\s+conns\s+time\s+req\/s/m);
    expect(stderr).toMatch(/health @100: \d+/);

    const report = JSON.parse(await readFile(output, "utf8")) as BenchReport;
    expect(report.runtimes.map((run) => run.runtime)).toEqual(["node"]);
    const [node] = report.runtimes;
    if (!node) throw new Error("no Node run in the report");
    // /me three times: EdDSA tokens without and with a session id, then a second server with
    // JWT_ALGORITHM=HS256 (on the first runtime only).
    expect(node.phases.map((phase) => phase.name)).toEqual([
      "health @100",
      "/me EdDSA @100",
      "/me EdDSA+sid @100",
      "/me HS256 @100",
      "refresh @100",
      "mfa TOTP @150",
      "login bcrypt @100",
    ]);
    for (const phase of node.phases) {
      expect(phase, phase.name).toMatchObject({ errors: 0, timeouts: 0, status5xx: 0, unexpectedStatus: 0 });
      expect(phase.completed, phase.name).toBeGreaterThan(0);
    }
    expect(node.ceilings.framework).toBeGreaterThan(0);
    expect(report.ceilings.bcrypt).toBeGreaterThan(0);
    expect(report.ceilings.database).toBeGreaterThan(0);
    expect(report.ceilings.refresh).toBeGreaterThan(0);
    expect(node.coldStartMs).toBeGreaterThan(0);
    expect(node.coldStartSingleMs).toBeGreaterThan(0);
    expect(node.memory?.peakTotalMiB).toBeGreaterThan(10);
    expect(stdout).toMatch(/refreshes\/s per core \(Keycloak 120\)/);

    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const left =
        await sql`select 1 from pg_database where datname = ${String(report.settings["database"])}`;
      expect(left).toHaveLength(0);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
});
