import { describe, expect, it } from "vitest";
import { type CpuProfile, packageOf, summariseProfile } from "./cpuprofile.js";

const frame = (functionName: string, url = "") => ({ functionName, url, lineNumber: 9 });

describe("summariseProfile", () => {
  it("sums self time per function from sample time deltas, apart from idle", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame("(root)") },
        { id: 2, callFrame: frame("(idle)") },
        { id: 3, callFrame: frame("verify", "file:///app/packages/auth/dist/hs256.js") },
        {
          id: 4,
          callFrame: frame(
            "is",
            "file:///app/node_modules/.pnpm/drizzle-orm@0.45.4/node_modules/drizzle-orm/entity.js",
          ),
        },
        { id: 5, callFrame: frame("(garbage collector)") },
      ],
      // each sample lasts until the next one: 3 for 2 ms, 4 for 1 ms, 2 for 5 ms, 5 for 2 ms, 3 for 0 (last)
      samples: [3, 4, 2, 5, 3],
      timeDeltas: [0, 2000, 1000, 5000, 2000],
      startTime: 0,
      endTime: 10_000,
    };
    const summary = summariseProfile(profile);
    expect(summary.totalMs).toBe(10);
    expect(summary.idleMs).toBe(5);
    expect(summary.busyMs).toBe(5);
    expect(summary.functions[0]).toEqual({
      frame: "verify /app/packages/auth/dist/hs256.js:10",
      selfMs: 2,
      share: 0.4,
    });
    expect(summary.packages.map((p) => [p.frame, p.selfMs])).toEqual([
      ["packages/auth", 2],
      ["(garbage collector)", 2],
      ["drizzle-orm", 1],
    ]);
  });
});

describe("packageOf", () => {
  it("names the npm package, the workspace package, node internals or native code", () => {
    expect(
      packageOf(
        "file:///r/node_modules/.pnpm/@hono+node-server@2/node_modules/@hono/node-server/dist/index.mjs",
      ),
    ).toBe("@hono/node-server");
    expect(packageOf("file:///r/node_modules/.pnpm/pino@10/node_modules/pino/lib/proto.js")).toBe("pino");
    expect(packageOf("file:///r/apps/api/dist/app.js")).toBe("apps/api");
    expect(packageOf("node:internal/crypto/util")).toBe("node:internal");
    expect(packageOf("")).toBe("(native)");
  });
});
