#!/usr/bin/env node
// Builds the JupyterLab application (webpack.config.js) once per set of inputs and prints
// the directory holding it. The build takes ~20 s and 25 MB, so it lives outside the
// repository in a cache keyed by a hash of the sources here and of the installed package
// versions (node_modules/.package-lock.json): an unchanged tree reuses the last build.
//
// Usage: node build.js            prints the build directory (building it when missing)
// Cache: $GOKERNEL_LAB_CACHE, else $XDG_CACHE_HOME/gokernel-clienttest, else
//        ~/.cache/gokernel-clienttest. Older builds there are removed after a new one.
const { execFileSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');

const inputs = ['package.json', 'webpack.config.js', 'index.js', 'build.js', 'node_modules/.package-lock.json'];

function cacheRoot() {
  if (process.env.GOKERNEL_LAB_CACHE) return process.env.GOKERNEL_LAB_CACHE;
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'gokernel-clienttest');
}

function main() {
  process.chdir(__dirname);
  const hash = crypto.createHash('sha256');
  for (const f of inputs) {
    let data;
    try {
      data = fs.readFileSync(f);
    } catch (e) {
      throw new Error(`${f}: ${e.message} (run npm install in ${__dirname} first)`);
    }
    hash.update(f + '\0' + data.length + '\0').update(data);
  }
  const root = cacheRoot();
  const dir = path.join(root, 'jupyterlab-' + hash.digest('hex').slice(0, 16));
  if (fs.existsSync(path.join(dir, 'bundle.js'))) {
    console.error(`JupyterLab build cached in ${dir}`);
    console.log(dir);
    return;
  }
  fs.mkdirSync(root, { recursive: true });
  const tmp = fs.mkdtempSync(dir + '.tmp-');
  const started = Date.now();
  console.error(`building JupyterLab into ${dir}`);
  // stdout of webpack goes to stderr: stdout carries only the directory.
  execFileSync(process.execPath, [require.resolve('webpack-cli/bin/cli.js'), '--config', 'webpack.config.js', '--stats', 'errors-warnings'], {
    env: { ...process.env, LAB_BUILD_DIR: tmp },
    stdio: ['ignore', process.stderr, process.stderr],
  });
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another build of the same inputs finished first; use that one.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, 'bundle.js'))) throw e;
  }
  for (const old of fs.readdirSync(root)) {
    const p = path.join(root, old);
    if (old.startsWith('jupyterlab-') && p !== dir && !old.includes('.tmp-')) fs.rmSync(p, { recursive: true, force: true });
  }
  console.error(`built JupyterLab in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(dir);
}

try {
  main();
} catch (e) {
  console.error('build.js:', e.message);
  process.exit(1);
}
