// Builds the JupyterLab application of index.js into LAB_BUILD_DIR (default ./build):
// bundle.js, style.js, and the schemas and themes of every extension listed under
// "jupyterlab.extensions" in package.json, which the Python server (main.py) serves.
const path = require('path');
const webpack = require('webpack');
const miniSVGDataURI = require('mini-svg-data-uri');
const Build = require('@jupyterlab/builder').Build;
const pkg = require('./package.json');

const out = path.resolve(process.env.LAB_BUILD_DIR || path.join(__dirname, 'build'));

// Copies schemas and themes into out and writes out/style.js, which imports each
// extension's CSS.
const assets = Build.ensureAssets({ packageNames: pkg.jupyterlab.extensions, output: out });

module.exports = [
  {
    entry: './index.js',
    output: { path: out, filename: 'bundle.js' },
    mode: 'development',
    devtool: false,
    bail: true,
    // style.js lives in out, outside this directory: its imports resolve from here.
    resolve: { alias: { '@lab-build': out }, modules: [path.join(__dirname, 'node_modules'), 'node_modules'] },
    module: {
      rules: [
        { test: /\.css$/, use: ['style-loader', 'css-loader'] },
        // @jupyter/web-components imports './icon.styles' without an extension from ESM.
        { test: /\.m?js$/, resolve: { fullySpecified: false } },
        { test: /\.svg$/, issuer: /\.css$/, type: 'asset/inline', generator: { dataUrl: (c) => miniSVGDataURI(c.toString()) } },
        { test: /\.svg$/, issuer: /\.js$/, type: 'asset/source' },
        { test: /\.md$/, type: 'asset/source' },
        { test: /\.(woff2?|ttf|eot|png|jpe?g|gif)$/, type: 'asset' },
      ],
    },
    plugins: [new webpack.DefinePlugin({ process: { cwd: () => '/', env: {} } })],
  },
].concat(assets);
