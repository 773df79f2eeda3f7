// Package clienttest drives the gokernel binary with the real Jupyter clients people use:
// the official jupyter_kernel_test suite (plus protocol tests of our own) through
// jupyter_client, nbclient and `jupyter nbconvert --execute`, `jupyter console` in tmux,
// the classic Notebook in headless Chromium, and JupyterLab's @jupyterlab/services through
// jupyter_server. Nothing here mocks a peer: each subtest of TestClients starts the real
// client against the real kernel and fails with the client's own words.
//
// The package has no API; it is all tests. TestClients builds ./cmd/gokernel into a
// temporary directory, installs its kernelspec into a private Jupyter directory
// (JUPYTER_PATH, JUPYTER_DATA_DIR, JUPYTER_CONFIG_DIR, JUPYTER_RUNTIME_DIR and IPYTHONDIR all
// under the test's temp dir, so the user's Jupyter setup is never read or changed) and runs
// one subtest per client. Jupyter's Python is /usr/bin/python3 (Debian's packages); the
// Node drivers need `npm install` in their testdata directory, which the test does itself
// when node_modules is missing. A missing dependency skips a subtest with a loud message,
// or fails it when the environment variable CI is "true" (.ci/run sets it).
//
// GOKERNEL_CLIENTTEST_KERNEL=python3 points every client at Debian's ipykernel with Python
// samples instead: that is how the drivers themselves are checked against a reference kernel.
// GOKERNEL_CLIENTTEST_SHOTS=DIR keeps the browser test's screenshots in DIR. TestJupyterLab saves
// its screenshots in each subtest's artifact directory: add -artifacts -outputdir DIR. To watch one
// client: go test -v -run 'TestClients/console' ./kernel/clienttest
//
// Files:
//   - doc.go: this overview.
//   - clients_test.go: TestClients, the kernel under test and its language samples.
//   - jupyter_test.go: the private Jupyter environment, building gokernel, the kernelspec.
//   - process_test.go: child processes in their own process groups, servers on free ports,
//     dependency checks, the sweep for processes a client left behind.
//   - kerneltest_test.go: jupyter_kernel_test and our protocol tests through pytest, one Go
//     subtest per Python test (from pytest's JUnit XML).
//   - notebooks_test.go: nbclient on a generated notebook with per-cell expectations, and
//     nbconvert --execute on every notebook in notebooks/ and notebooks/zh/.
//   - console_test.go: jupyter console in tmux, typing a multi-line cell.
//   - browser_test.go: the classic Notebook in headless Chromium (playwright-core).
//   - labservices_test.go: @jupyterlab/services 7 through jupyter_server.
//   - jupyterlab_test.go: TestJupyterLab, JupyterLab 4's own UI in Chromium (kernel picker,
//     highlighting, input box, interrupt and restart buttons, completer and contextual help,
//     every lesson with Run All), and BenchmarkJupyterLabRunAll (lesson 3: JupyterLab beside
//     nbclient); labcompare_test.go compares the lessons' cells with nbclient's outputs.
//   - serverdeath_test.go: a kernel started by jupyter_server exits when the server is SIGKILLed.
//   - smarts_test.go: TestSmarts, issue 6 through jupyter_client (completion, inspect, pager,
//     magics, %%bash, %%python3, history across restarts); testdata/smarts/test_smarts.py.
//   - hub_test.go: TestHub, a class on a real JupyterHub (issue 15): one system user per
//     student, gokernel installed once with deploy/install-gokernel.sh, a baseline student,
//     the class running a lesson at once with a hostile and an idle student, "HUB:" figures.
//     Needs root, Debian's jupyterhub and testdata/hub's configurable-http-proxy. The
//     whole-class benchmark: go test -timeout 30m -count=1 -v -run Hub ./kernel/clienttest
//     -students 20 | grep HUB: (without -students the quick run has 3 students).
//   - hub_client_test.go: a student's browser calls: login form, token, spawn, contents,
//     sessions, the kernel's websocket; hub_system_test.go: accounts, processes, memory.
//   - websocket_test.go: the websocket client the students use (RFC 6455, text frames).
//   - testdata/conformance: test_conformance.py and the code samples per language.
//   - testdata/notebooks: make_notebook.py, nb_check.py and the generated notebooks' cells.
//   - testdata/console: console_tmux.py and the cells it types.
//   - testdata/browser, testdata/labservices: the Node drivers and their package.json;
//     testdata/hub: the package.json of configurable-http-proxy.
//   - testdata/lab: the JupyterLab application (package.json, webpack.config.js, index.js,
//     templates/), build.js (builds it once per set of sources into a cache directory),
//     main.py (serves it with jupyterlab_server), lab_ui.js (the driver) and
//     nbclient_ref.py (the lessons through nbclient, for comparison); README.md.
package clienttest
