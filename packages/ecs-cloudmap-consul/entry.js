"use strict";
// The package's entry ("main"): which build a program loads.
//
// A copy installed under node_modules (a tarball, a registry) runs the compiled dist/: Pulumi's
// TypeScript host registers ts-node, which compiles nothing under node_modules, so the .ts sources
// shipped beside dist/ (the plugin host's schema is inferred from them) cannot be loaded there.
// A checkout reached through a link (this repository's program, `npm install <folder>`) runs the
// sources when a TypeScript loader is registered: a change needs no build, a stale dist/ is never
// picked up, and mutation testing sees its mutants. The types follow the same split: "types" names
// dist/, and a checkout's tsconfig maps the package name to index.ts.
const fs = require("fs");
const path = require("path");

const here = fs.realpathSync(__dirname);
const installed = here.split(path.sep).includes("node_modules");
// require.extensions is deprecated for adding loaders, not for asking which ones are registered.
const typescriptLoaded = Object.prototype.hasOwnProperty.call(require.extensions, ".ts");

if (!installed && typescriptLoaded) {
  module.exports = require("./index.ts");
} else {
  const compiled = path.join(here, "dist", "index.js");
  if (!fs.existsSync(compiled)) {
    throw new Error(
      `ecs-cloudmap-consul: ${compiled} is missing. Run \`npm run build\` in ${here} ` +
        "(npm pack builds it), or load the package from a TypeScript program (ts-node) that compiles its sources.",
    );
  }
  module.exports = require(compiled);
}
