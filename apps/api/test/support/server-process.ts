import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const SERVER_ENTRY = fileURLToPath(new URL("../../dist/server.js", import.meta.url));
export const BUN_SERVER_ENTRY = fileURLToPath(new URL("../../dist/server-bun.js", import.meta.url));
/** The binary of the `bun` devDependency (the .bin shim is a shell script that would swallow signals). */
export const BUN_BINARY = fileURLToPath(new URL("../../node_modules/bun/bin/bun.exe", import.meta.url));

export const runtimes = ["node", "bun"] as const;
export type Runtime = (typeof runtimes)[number];

export interface StartServerOptions {
  /** `node dist/server.js` (default) or `bun dist/server-bun.js`. */
  runtime?: Runtime;
  timeoutMs?: number;
  /** How many "listening" lines to wait for (cluster mode: one per worker). Default 1. */
  listeners?: number;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export interface RunningServer {
  url: string;
  process: ChildProcess;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the built server as a real process (Node: `dist/server.js`, Bun: `dist/server-bun.js`) and
 * resolves once it logs that it listens. The second argument may be a timeout in ms or the options.
 * WEB_CONCURRENCY defaults to 1 here, so a PostgreSQL test server is one process unless a test asks.
 */
export async function startServer(
  env: Record<string, string>,
  options: number | StartServerOptions = {},
): Promise<RunningServer> {
  const {
    runtime = "node",
    timeoutMs = 60_000,
    listeners = 1,
  } = typeof options === "number" ? { timeoutMs: options } : options;
  const [command, entry] =
    runtime === "bun" ? [BUN_BINARY, BUN_SERVER_ENTRY] : [process.execPath, SERVER_ENTRY];
  for (const file of [command, entry]) {
    if (!existsSync(file))
      throw new Error(`${file} is missing: install and build @app/api first (turbo does)`);
  }
  const port = await freePort();
  const child = spawn(command, [entry], {
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: String(port),
      LOG_LEVEL: "info",
      WEB_CONCURRENCY: "1",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const check = () => {
      if (output.split('"msg":"listening').length - 1 >= listeners) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });

  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
