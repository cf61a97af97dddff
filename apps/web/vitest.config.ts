import { defineConfig } from "vitest/config";

// Vitest loads its configuration through a default export; it has no named-export form.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "e2e/**/*.e2e.test.ts"],
    // The end-to-end suite starts a server and a browser; unit tests finish in milliseconds either way.
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // One browser at a time: the machine is small and shared.
    fileParallelism: false,
  },
});
