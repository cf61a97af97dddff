import { defineConfig } from "vitest/config";

// "source" makes workspace packages resolve to their TypeScript sources, so tests need no build.
const conditions = ["source", "node", "import", "module", "default"];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    globalSetup: ["../../packages/core/src/test-support/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
