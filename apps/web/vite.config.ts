import { defineConfig } from "vite";
import { precompress } from "./build-steps/precompress.js";

// Vite loads its configuration through a default export; it has no named-export form.
export default defineConfig({
  plugins: [precompress()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // The polyfill would be injected as code the strict CSP does not need; every browser we target has modulepreload.
    modulePreload: { polyfill: false },
    // A public source map hands out the original source; production ships none (a debugging build can
    // still ask for one: `vite build --sourcemap`).
    sourcemap: false,
  },
  server: {
    // `pnpm --filter @app/web dev` proxies the API to a locally running `pnpm start`.
    proxy: { "/v1": "http://localhost:3000", "/health": "http://localhost:3000" },
  },
});
