import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signingKeys } from "../db/schema.js";
import { openTestDatabase, type TestDatabase } from "../test-support/index.js";

const SRC = fileURLToPath(new URL("..", import.meta.url));
const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 0, 1);

interface ReplicaView {
  created: string[];
  active: string;
  published: string[];
}

/**
 * Node 20 cannot run TypeScript, so the package's sources are transpiled (no type check) into a folder
 * under this package's node_modules, where the child's imports of drizzle-orm and postgres resolve.
 */
async function transpileSources(): Promise<string> {
  const out = fileURLToPath(
    new URL(`../../node_modules/.cache/replica-${randomBytes(4).toString("hex")}/`, import.meta.url),
  );
  const files = (await readdir(SRC, { recursive: true })).filter(
    (file) => file.endsWith(".ts") && !file.endsWith(".test.ts"),
  );
  for (const file of files) {
    const source = await readFile(join(SRC, file), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const target = join(out, file.replace(/\.ts$/, ".js"));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  // Package scopes stop at node_modules: without this file the output would load as CommonJS.
  await writeFile(join(out, "package.json"), '{ "type": "module" }\n');
  return out;
}

describe("signing keys across separate processes on one PostgreSQL database", () => {
  let t: TestDatabase;
  let out: string;
  beforeAll(async () => {
    [t, out] = await Promise.all([openTestDatabase("postgres"), transpileSources()]);
  }, 120_000);
  afterAll(async () => {
    await t?.dispose();
    if (out) await rm(out, { recursive: true, force: true });
  });

  /** Starts `count` replica processes, waits until each is connected, then releases them together. */
  const race = async (count: number, clock: number, action: "ensure" | "rotate" = "ensure") => {
    const children = Array.from({ length: count }, () =>
      spawn(
        process.execPath,
        [join(out, "test-support/signing-key-replica.js"), t.url ?? "", String(clock), action],
        {
          stdio: ["pipe", "pipe", "inherit"],
        },
      ),
    );
    const outputs = children.map((child) => {
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString("utf8");
      });
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on("data", () => text.includes("ready\n") && resolve());
        child.on("exit", (code) => reject(new Error(`replica exited early with ${code}`)));
      });
      const done = new Promise<ReplicaView>((resolve, reject) => {
        child.on("exit", (code) =>
          code === 0
            ? resolve(JSON.parse(text.slice(text.indexOf("\n") + 1)) as ReplicaView)
            : reject(new Error(`replica exited with ${code}`)),
        );
      });
      return { ready, done };
    });
    await Promise.all(outputs.map((output) => output.ready));
    for (const child of children) child.stdin.end("go\n");
    return Promise.all(outputs.map((output) => output.done));
  };
  const replica = async (clock: number, action: "ensure" | "rotate" = "ensure") =>
    (await race(1, clock, action))[0] as ReplicaView;
  const both = (clock: number) => race(2, clock) as Promise<[ReplicaView, ReplicaView]>;

  it("two processes racing through a rotation create one key per step and agree on the active kid", async () => {
    const [first, second] = await both(T0);
    expect([...first.created, ...second.created]).toHaveLength(1);
    const a = first.active;
    expect(second.active).toBe(a);

    const [ahead1, ahead2] = await both(T0 + 30 * DAY - 3600 * 1000);
    expect([...ahead1.created, ...ahead2.created]).toHaveLength(1);
    const b = [...ahead1.created, ...ahead2.created][0];
    expect([ahead1.active, ahead2.active]).toEqual([a, a]);
    expect(ahead1.published).toEqual([b, a]);
    expect(ahead2.published).toEqual([b, a]);

    const [switched1, switched2] = await both(T0 + 30 * DAY);
    expect([switched1.active, switched2.active]).toEqual([b, b]);
    expect([...switched1.created, ...switched2.created]).toEqual([]);

    const rotated = await replica(T0 + 31 * DAY, "rotate");
    const [after1, after2] = await both(T0 + 31 * DAY);
    expect([after1.active, after2.active]).toEqual([rotated.active, rotated.active]);
    expect(after1.published).toEqual([rotated.active, b]);
    expect((await t.database.db.select().from(signingKeys)).map((row) => row.kid).sort()).toEqual(
      [rotated.active, b].sort(),
    );
  });
});
