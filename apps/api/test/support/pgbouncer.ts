import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./server-process.js";

/** Debian's `pgbouncer` package (1.18 on bookworm); `.ci/run` installs it when missing. */
export const PGBOUNCER_BINARY = "/usr/sbin/pgbouncer";

export interface RunningPgBouncer {
  /** `postgres://…` of the database behind the pooler, the same user (and password) as the direct URL. */
  url: string;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts a real PgBouncer on a free port in front of the database of `databaseUrl`, in transaction
 * pooling mode, with `serverPoolSize` server connections shared by all its clients. Clients are trusted
 * (the test server trusts local connections too); PgBouncer logs in to PostgreSQL with the direct URL's
 * user and password.
 */
export async function startPgBouncer(
  databaseUrl: string,
  { serverPoolSize = 3 }: { serverPoolSize?: number } = {},
): Promise<RunningPgBouncer> {
  if (!existsSync(PGBOUNCER_BINARY))
    throw new Error(`${PGBOUNCER_BINARY} is missing: apt-get install pgbouncer (.ci/run does)`);
  const direct = new URL(databaseUrl);
  const database = decodeURIComponent(direct.pathname.slice(1)) || "postgres";
  const user = decodeURIComponent(direct.username) || "postgres";
  const password = decodeURIComponent(direct.password);
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "pgbouncer-"));
  const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const target = [
    `host=${direct.hostname}`,
    `port=${direct.port || "5432"}`,
    `dbname=${quote(database)}`,
    `user=${quote(user)}`,
    ...(password ? [`password=${quote(password)}`] : []),
  ].join(" ");
  await writeFile(join(dir, "userlist.txt"), `"${user.replaceAll('"', '""')}" ""\n`);
  await writeFile(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `${database} = ${target}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${serverPoolSize}`,
      "min_pool_size = 0",
      "max_client_conn = 500",
      // PgBouncer 1.18 refuses startup parameters it does not know; the service sends statement_timeout
      // (see the README's "Connection poolers": set it on the role instead).
      "ignore_startup_parameters = extra_float_digits,statement_timeout",
      "server_reset_query =",
      "log_connections = 0",
      "log_disconnections = 0",
    ].join("\n"),
  );
  // PgBouncer refuses to run as root; as root (CI containers) it drops to nobody, which must read the files.
  await chmod(dir, 0o755);
  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(
    PGBOUNCER_BINARY,
    [...(asRoot ? ["-u", "nobody"] : []), join(dir, "pgbouncer.ini")],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const url = new URL(databaseUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString(),
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
