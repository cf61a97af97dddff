import { defineConfig } from "vitest/config";

// "source" makes @app/validators resolve to its TypeScript sources, so unit tests need no build.
const conditions = ["source", "node", "import", "module", "default"];

// Vitest loads its configuration through a default export; it has no named-export form.
export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        resolve: { conditions },
        ssr: { resolve: { conditions, externalConditions: conditions } },
        test: { name: "unit", include: ["src/**/*.test.ts"] },
      },
      {
        extends: true,
        test: {
          name: "e2e",
          include: ["e2e/**/*.e2e.test.ts"],
          // One server (embedded database, built API + web app) for every end-to-end file.
          globalSetup: ["e2e/support/global-setup.ts"],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          // One browser at a time: the machine is small and shared.
          fileParallelism: false,
        },
      },
    ],
  },
});
