/**
 * `npm run build`, after tsc: dist/hook-sender.js and everything it imports
 * (our modules, @xmpp/*, cosmiconfig) become one file in its place. The
 * hook's detached sender loads it (src/cli.ts): its start is in the path
 * from a push to its announcement (issue 11), and the ES module loader
 * resolving and reading a few hundred files cost about 70 ms of it. Without
 * this step (tsc alone) dist/hook-sender.js still works, only slower.
 *
 * Left outside, loaded from node_modules at run time: what cosmiconfig
 * requires only for configuration formats that may need it, and that does
 * not survive bundling (import-fresh reads its own __filename; typescript is
 * for .ts configurations, which the searched places never name).
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { rolldown } from "rolldown";

export const BUNDLE_BANNER = "// git-annex-xmpp: the hook's sender, bundled by scripts/bundle-sender.mjs (npm run build)";

const entry = fileURLToPath(new URL("../dist/hook-sender.js", import.meta.url));
const out = process.argv[2] ?? entry;

const bundle = await rolldown({
  input: entry,
  platform: "node",
  external: ["typescript", "import-fresh"],
  // A warning is a change in what gets bundled: fail the build rather than ship it unnoticed.
  onLog(level, log) {
    if (level === "warn") throw new Error(`bundling ${entry}: ${log.message}`);
  },
});
try {
  const { output } = await bundle.generate({ format: "esm", codeSplitting: false, banner: BUNDLE_BANNER });
  if (output.length !== 1 || output[0].type !== "chunk") throw new Error(`bundling ${entry}: expected one file, got ${output.map((o) => o.fileName).join(", ")}`);
  await writeFile(out, output[0].code);
} finally {
  await bundle.close();
}
