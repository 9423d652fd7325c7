// Builds the app into the directory the node serves (`tributary node --web DIR`; `make` passes
// build/web). TRIBUTARY_WEB_OUT overrides the output directory.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/",
  build: {
    outDir: process.env.TRIBUTARY_WEB_OUT ?? "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    chunkSizeWarningLimit: 600,
  },
  // `npm run dev` proxies the API to a local node, so the app can be worked on with hot reload.
  server: {
    proxy: {
      "/v1": process.env.TRIBUTARY_NODE ?? "http://127.0.0.1:8645",
      "/healthz": process.env.TRIBUTARY_NODE ?? "http://127.0.0.1:8645",
    },
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
