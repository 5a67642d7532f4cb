// Starts wrangler's CLI (wrangler-dist/cli.js) as its own bin/wrangler.js does -- same node
// flags, same argv, cli.js as the main module -- but compiles the 12 MB bundle with V8's code
// cache: most of a wrangler start is compiling it (about 0.3 of 1.5 s of CPU here). The cache
// is written once, after the first run, to $WRANGLER_CODE_CACHE (a temporary name, then a
// rename, so concurrent runs never read half a file); V8 rejects a cache that does not match
// the source or the node build, and the run then compiles as usual and writes a new one.
"use strict";
const fs = require("fs");
const path = require("path");
const vm = require("vm");
const Module = require("module");

const file = path.resolve(process.argv[2]);
const cacheFile = process.env.WRANGLER_CODE_CACHE;
let cached;
try {
  cached = cacheFile ? fs.readFileSync(cacheFile) : undefined;
} catch {
  cached = undefined;
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, "utf8")), {
  filename: file,
  cachedData: cached,
  importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
});
if (cacheFile && (!cached || script.cachedDataRejected)) {
  process.on("exit", () => {
    const partial = `${cacheFile}.${process.pid}`;
    try {
      fs.writeFileSync(partial, script.createCachedData());
      fs.renameSync(partial, cacheFile);
    } catch {
      fs.rmSync(partial, { force: true });
    }
  });
}
const main = new Module(file, null);
main.filename = file;
main.paths = Module._nodeModulePaths(path.dirname(file));
process.mainModule = main; // cli.js runs the CLI only when it is the main module
const req = Module.createRequire(file);
req.main = main;
process.argv.splice(1, 1); // argv as `node cli.js ARGS` sees it
script.runInThisContext().call(main.exports, main.exports, req, main, file, path.dirname(file));
