// Bundles the console into dist/: index.html, one script and one stylesheet under assets/.
// No inline script or style anywhere, so the strict Content-Security-Policy needs no exception.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "assets"), { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.tsx")],
  bundle: true,
  minify: true,
  sourcemap: false,
  format: "esm",
  target: "es2022",
  jsx: "automatic",
  jsxImportSource: "preact",
  outfile: join(dist, "assets", "app.js"),
  logLevel: "warning",
  legalComments: "none",
});
copyFileSync(join(here, "src", "app.css"), join(dist, "assets", "app.css"));
copyFileSync(join(here, "index.html"), join(dist, "index.html"));
