/**
 * A Dockerfile, read into stages and instructions, and replayed outside Docker: each stage's filesystem is
 * a folder, container paths map into it, and COPY/RUN/WORKDIR/ENV/USER do to those folders what the
 * builder would. What the images run is then exactly what the Dockerfiles say, so the rehearsal cannot
 * drift from them. A RUN command the rehearsal does not know fails it (see `runCommand`).
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";

export interface Instruction {
  keyword: string;
  /** The text after the keyword, flags included. */
  text: string;
  /** Exec-form arguments (`["node", "dist/server.js"]`), when the instruction has them. */
  exec?: string[];
  /** `--from=build`, `--mount=...`: leading flags, by name. */
  flags: Record<string, string>;
}

export interface Stage {
  name: string;
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  args: Record<string, string>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = "";
    if (whole) logical.push(whole);
  }
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = "", rest = ""] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === "ARG" && stages.length === 0) {
      const [name = "", value = ""] = rest.split("=");
      args[name] = value;
      continue;
    }
    if (upper === "FROM") {
      const [, image = "", name = ""] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest) ?? [];
      const from = image.replace(/\$\{(\w+)\}/g, (_, arg: string) => args[arg] ?? "");
      stages.push({ name: name || String(stages.length), from, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${keyword} before the first FROM`);
    const flags: Record<string, string> = {};
    let body = rest;
    for (;;) {
      const flag = /^--([a-z-]+)=(\S+)\s+/.exec(body);
      if (!flag) break;
      flags[flag[1] ?? ""] = flag[2] ?? "";
      body = body.slice(flag[0].length);
    }
    const execText = upper === "HEALTHCHECK" ? /\bCMD\s+(\[.*\])$/.exec(body)?.[1] : body;
    const exec = execText?.startsWith("[") ? (JSON.parse(execText) as string[]) : undefined;
    stage.instructions.push({ keyword: upper, text: body, flags, ...(exec ? { exec } : {}) });
  }
  return { args, stages };
}

/** A stage's state while it is replayed: its root folder, working directory, environment and user. */
export interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string | undefined;
  healthcheck?: string[] | undefined;
  cmd?: string[] | undefined;
  stopSignal?: string;
}

export interface ReplayContext {
  /** The build context (the repository root). */
  context: string;
  /** Where stage folders are made. */
  workspace: string;
  /** Finished stages by name, for `FROM <stage>` and `COPY --from=<stage>`. */
  stages: Map<string, StageState>;
  /** The user that owns what `chown` would give the image's unprivileged user. */
  chownTo: string;
  /** PATH for RUN steps (where pnpm and turbo are). */
  path: string;
  /**
   * What a RUN command becomes here: the command to run (container paths are mapped afterwards), or null
   * when it only sets up the builder image (e.g. installing pnpm, checked by the caller). It throws for a
   * command it does not know, so a new step in a Dockerfile fails the rehearsal until it is taught.
   */
  translateRun: (command: string) => string | null;
}

/** Replays one stage; the stage's state is recorded in `ctx.stages` for later stages. */
export function replayStage(
  stage: Stage,
  ctx: ReplayContext,
  only?: (i: Instruction) => boolean,
): StageState {
  const parent = ctx.stages.get(stage.from);
  const root = join(ctx.workspace, stage.name);
  mkdirSync(root, { recursive: true });
  const state: StageState = {
    root,
    workdir: parent?.workdir ?? "/",
    env: { ...parent?.env },
    user: parent?.user,
  };
  for (const instruction of stage.instructions) {
    if (only && !only(instruction)) continue;
    applyInstruction(instruction, state, ctx);
  }
  ctx.stages.set(stage.name, state);
  return state;
}

/** A container path, in a stage's folder. */
export function hostPath(state: StageState, containerPath: string): string {
  const absolute = containerPath.startsWith("/") ? containerPath : join(state.workdir, containerPath);
  return join(state.root, absolute);
}

function applyInstruction(instruction: Instruction, state: StageState, ctx: ReplayContext): void {
  switch (instruction.keyword) {
    case "WORKDIR":
      state.workdir = instruction.text.startsWith("/")
        ? instruction.text
        : join(state.workdir, instruction.text);
      mkdirSync(hostPath(state, state.workdir), { recursive: true });
      return;
    case "ENV":
      for (const [, key = "", value = ""] of instruction.text.matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
        state.env[key] = value.replace(/^"(.*)"$/, "$1");
      }
      return;
    case "USER":
      state.user = instruction.text;
      return;
    case "COPY":
      copy(instruction, state, ctx);
      return;
    case "RUN":
      run(instruction.text, state, ctx);
      return;
    case "HEALTHCHECK":
      state.healthcheck = instruction.exec;
      return;
    case "CMD":
      state.cmd = instruction.exec;
      return;
    case "STOPSIGNAL":
      state.stopSignal = instruction.text;
      return;
    case "EXPOSE":
      return;
    default:
      throw new Error(`the rehearsal does not know ${instruction.keyword}: teach test/deploy/dockerfile.ts`);
  }
}

function copy(instruction: Instruction, state: StageState, ctx: ReplayContext): void {
  const parts = instruction.exec ?? instruction.text.split(/\s+/);
  const destination = parts.at(-1) ?? "";
  const sources = parts.slice(0, -1);
  const from = instruction.flags.from;
  const fromState = from === undefined ? undefined : ctx.stages.get(from);
  if (from !== undefined && !fromState) throw new Error(`COPY --from=${from}: no such stage replayed`);
  const ignored = from === undefined ? dockerIgnore(ctx.context) : () => false;
  for (const source of sources) {
    const sourcePath = fromState ? hostPath(fromState, source) : join(ctx.context, source);
    if (!existsSync(sourcePath)) throw new Error(`COPY ${source}: ${sourcePath} does not exist`);
    const target = hostPath(state, destination);
    const filter = (path: string) => !ignored(relative(ctx.context, path));
    if (statSync(sourcePath).isDirectory()) {
      // A folder's contents are copied into the destination.
      mkdirSync(target, { recursive: true });
      cpSync(sourcePath, target, { recursive: true, filter, verbatimSymlinks: true });
    } else {
      const file = destination.endsWith("/") ? join(target, basename(sourcePath)) : target;
      mkdirSync(join(file, ".."), { recursive: true });
      cpSync(sourcePath, file);
    }
  }
}

/** .dockerignore as the build context applies it (the patterns this repository uses: `**\/name` and `name`). */
function dockerIgnore(context: string): (path: string) => boolean {
  const file = join(context, ".dockerignore");
  const patterns = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line && !line.startsWith("#"))
    : [];
  const matchers = patterns.map((pattern) => {
    const anywhere = pattern.startsWith("**/");
    const name = anywhere ? pattern.slice(3) : pattern;
    const glob = new RegExp(`^${name.replaceAll(".", "\\.").replaceAll("*", "[^/]*")}$`);
    return (path: string) => {
      const segments = path.split("/");
      return anywhere ? segments.some((segment) => glob.test(segment)) : glob.test(segments[0] ?? "");
    };
  });
  return (path: string) => path !== "" && matchers.some((matches) => matches(path));
}

function run(text: string, state: StageState, ctx: ReplayContext): void {
  const command = ctx.translateRun(text);
  if (command === null) return;
  // Container paths in the command (/prod/api, /data, ...) point into the stage's folder.
  const mapped = command
    .replace(
      /(^|\s)(\/[a-z][\w./-]*)/g,
      (_, space: string, path: string) => `${space}${hostPath(state, path)}`,
    )
    .replace(/\bchown (\w+):(\w+)/g, `chown ${ctx.chownTo}`);
  execFileSync("sh", ["-c", mapped], {
    cwd: hostPath(state, state.workdir),
    env: { PATH: ctx.path, HOME: process.env.HOME ?? "/root", ...state.env },
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}
