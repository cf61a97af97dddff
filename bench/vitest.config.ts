import { defineConfig } from "vitest/config";

// Only the pure parts run in `pnpm test`; the benchmark itself is `pnpm bench`.
export default defineConfig({
  test: { include: ["src/**/*.test.ts"], testTimeout: 240_000 },
});
