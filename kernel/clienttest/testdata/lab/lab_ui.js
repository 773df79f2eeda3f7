#!/usr/bin/env node
// Drives the JupyterLab application (index.js, served by main.py) in headless Chromium the
// way a student does: file browser, launcher, File > New, Run menu, toolbar buttons, Tab,
// Shift+Tab, the input box. One scenario per run:
//
//   node lab_ui.js SCENARIO --base http://127.0.0.1:PORT --shots DIR [options]
//
//   lessons   --lessons a.ipynb,zh/b.ipynb --out results.json
//             open each notebook from the file browser, Run > Run All Cells, wait until every
//             code cell has its execution count and the kernel is idle; write what each
//             cell's output area shows (MIME type, text, size of each image) to --out for the
//             Go test to compare with nbclient's outputs; a screenshot per notebook.
//   picker    File > New > Notebook: the kernel dialog offers the Go kernel by its display
//             name; the launcher's Go card shows the kernel's logo.
//   stdin     fmt.Scanln in a cell: JupyterLab's input box appears, typed text reaches it.
//   interrupt the toolbar's interrupt button on a deadlocked and on a looping cell shows
//             where each goroutine was; the kernel carries on; the restart button (and the
//             dialog's Restart) makes the next cell's count 1.
//   complete  Tab after "strings." and after "mu." (a sync.Mutex of an earlier cell) opens
//             the completer with the right names and types; Shift+Tab shows a tooltip with
//             fmt.Println's doc, and the contextual help panel (inspector) shows it too.
//   highlight the Go cell's CodeMirror tokens: keywords and strings carry the theme's
//             keyword and string colours.
//
// Prints one JSON line per step and check; exit 0 when every check passed, 1 when one
// failed, 2 on a crash. The display name to look for is --display (default "Go (gokernel)").
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

function parseArgs() {
  const v = process.argv.slice(2);
  const a = { scenario: v.shift(), timeout: '120', display: 'Go (gokernel)' };
  for (let i = 0; i < v.length; i += 2) a[v[i].replace(/^--/, '')] = v[i + 1];
  if (!a.base || !a.shots) throw new Error('need --base and --shots');
  a.base = a.base.replace(/\/$/, '');
  a.timeout = Number(a.timeout) * 1000;
  return a;
}

const log = (o) => console.log(JSON.stringify(o));
let ok = true;
const check = (what, pass, detail) => {
  ok = ok && !!pass;
  log({ check: what, pass: !!pass, ...detail });
};

// The notebook panel on top, as a selector ('#id' of lab.shell.currentWidget).
const current = (page) => page.evaluate(() => '#' + window.lab.shell.currentWidget.id);

// kernelReady waits until the current notebook's kernel is attached and idle: the toolbar
// names the Go kernel and the execution indicator says idle (the indicator alone reads idle
// before a kernel is attached, and cells run then start a second kernel).
async function kernelReady(page, a) {
  // Seen about once in a dozen runs before the kernel told each new iopub subscriber its
  // status (kernel/transport/subscribers.go): the kernel answers, JupyterLab's connection says
  // connected, the toolbar names the kernel, yet no status message reached the page and the
  // indicator reads "unknown" (the status that followed JupyterLab's first kernel_info_request
  // was published before its iopub subscription got to the kernel). Should it happen again, a
  // student would just run a cell; so does the driver, once the kernel is attached and
  // connected for 30 s, and says so loudly. Whatever runs then is checked as always.
  const attached = await page.waitForFunction((display) => {
    const w = window.lab.shell.currentWidget;
    const p = w && document.getElementById(w.id);
    if (!p || !p.classList.contains('jp-NotebookPanel')) return false;
    const name = p.querySelector('.jp-KernelName, .jp-Toolbar-kernelName');
    const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    const idle = p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
    const unknown = p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="unknown"]');
    return name && name.textContent.includes(display) && p.querySelector('.jp-Cell .jp-InputArea-editor') &&
      (idle ? 'idle' : unknown && k && k.connectionStatus === 'connected' && k.status === 'unknown' && performance.now() - (window.__gkSince ||= performance.now()) > 30000 ? 'unknown' : false);
  }, a.display, { timeout: a.timeout }).then((h) => h.jsonValue()).catch(() => null);
  await page.evaluate(() => { delete window.__gkSince; });
  if (attached === 'unknown') {
    log({ warning: 'kernel attached and connected but its status still unknown after 30 s; running anyway' });
    return;
  }
  await page.waitForFunction((display) => {
    const w = window.lab.shell.currentWidget;
    const p = w && document.getElementById(w.id);
    if (!p || !p.classList.contains('jp-NotebookPanel')) return false;
    const name = p.querySelector('.jp-KernelName, .jp-Toolbar-kernelName');
    return name && name.textContent.includes(display) &&
      p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]') &&
      p.querySelector('.jp-Cell .jp-InputArea-editor');
  }, a.display, { timeout: attached ? a.timeout : 1000 }).catch(async (e) => {
    // Say what the page showed instead.
    const state = await page.evaluate(() => {
      const w = window.lab.shell.currentWidget;
      const p = w && document.getElementById(w.id);
      return {
        widget: w && w.title.label, classes: p && p.className,
        kernel: p && (p.querySelector('.jp-KernelName, .jp-Toolbar-kernelName') || {}).textContent,
        indicator: p && (p.querySelector('.jp-Notebook-ExecutionIndicator') || { getAttribute: () => 'none' }).getAttribute('data-status'),
        dialog: (document.querySelector('.jp-Dialog') || {}).textContent,
        statusbar: (document.querySelector('#jp-main-statusbar') || {}).textContent,
        // What JupyterLab's own kernel connection says (the server log has the kernel's side).
        session: (() => {
          const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
          return k ? { id: k.id, status: k.status, connectionStatus: k.connectionStatus, clientId: k.clientId } : null;
        })(),
      };
    }).catch((e2) => ({ error: String(e2) }));
    log({ kernel_not_ready: state });
    throw e;
  });
}

// idle waits for the current notebook's kernel indicator to read idle.
const idle = (page, a) => page.waitForFunction(() => {
  const p = document.getElementById(window.lab.shell.currentWidget.id);
  return p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
}, null, { timeout: a.timeout });

// promptOf is the execution prompt of the current notebook's code cell i ("[3]:", "[*]:").
const promptOf = (page, i) => page.evaluate((i) => {
  const p = document.getElementById(window.lab.shell.currentWidget.id);
  const c = p.querySelectorAll('.jp-CodeCell')[i];
  return c ? c.querySelector('.jp-InputPrompt').textContent.trim() : null;
}, i);

// outputText is the text of every output of code cell i (textContent: cells scrolled out of
// view are skipped by layout, so innerText would miss them).
const outputText = (page, i) => page.evaluate((i) => {
  const p = document.getElementById(window.lab.shell.currentWidget.id);
  const c = p.querySelectorAll('.jp-CodeCell')[i];
  return c ? [...c.querySelectorAll('.jp-OutputArea-child:not(.jp-OutputArea-stdin-hiding) .jp-OutputArea-output')].map((o) => o.textContent).join('\n') : '';
}, i);

// waitOutput waits until code cell i's output contains want; false on timeout.
const waitOutput = (page, i, want, timeout) => page.waitForFunction(([i, w]) => {
  const p = document.getElementById(window.lab.shell.currentWidget.id);
  const c = p.querySelectorAll('.jp-CodeCell')[i];
  return c && [...c.querySelectorAll('.jp-OutputArea-child:not(.jp-OutputArea-stdin-hiding) .jp-OutputArea-output')].some((o) => o.textContent.includes(w));
}, [i, want], { timeout }).then(() => true, () => false);

// waitCount waits until code cell i's prompt shows an execution count other than before.
const waitCount = (page, i, before, timeout) => page.waitForFunction(([i, b]) => {
  const p = document.getElementById(window.lab.shell.currentWidget.id);
  const t = p.querySelectorAll('.jp-CodeCell')[i].querySelector('.jp-InputPrompt').textContent.trim();
  return t !== b && /^\[\d+\]:$/.test(t);
}, [i, before], { timeout });

async function menu(page, top, ...items) {
  await page.click(`.lm-MenuBar-itemLabel:text-is("${top}")`);
  for (const [n, item] of items.entries()) {
    const it = page.locator('.lm-Menu:visible .lm-Menu-itemLabel').getByText(item, { exact: true });
    if (n < items.length - 1) await it.hover();
    else await it.click();
  }
}

// newGoNotebook makes a notebook from the launcher's Go card and waits for its kernel.
async function newGoNotebook(page, a) {
  await page.click(`.jp-LauncherCard[data-category="Notebook"][title="${a.display}"]`);
  await kernelReady(page, a);
  return current(page);
}

// typeCell types code into code cell i (the last one when i is past the end: a new cell
// is added below) and leaves the cursor at the end of it.
async function typeInto(page, panel, i, code) {
  const cells = page.locator(`${panel} .jp-CodeCell`);
  while ((await cells.count()) <= i) {
    await page.evaluate(() => window.lab.commands.execute('notebook:insert-cell-below'));
  }
  await cells.nth(i).locator('.jp-InputArea-editor').click();
  await page.keyboard.type(code);
}

// setCell replaces code cell i's source through the editor's model (long programs: typing
// them adds CodeMirror's auto-indentation on top of the program's own).
async function setCell(page, panel, i, code) {
  const cells = page.locator(`${panel} .jp-CodeCell`);
  while ((await cells.count()) <= i) {
    await page.evaluate(() => window.lab.commands.execute('notebook:insert-cell-below'));
  }
  await cells.nth(i).locator('.jp-InputArea-editor').click();
  await page.evaluate(([i, code]) => {
    const nb = window.lab.shell.currentWidget.content;
    nb.widgets.filter((w) => w.model.type === 'code')[i].model.sharedModel.setSource(code);
  }, [i, code]);
}

// runCell runs code cell i with Shift+Enter and returns the prompt it had before.
async function runCell(page, panel, i) {
  const before = await promptOf(page, i);
  await page.locator(`${panel} .jp-CodeCell`).nth(i).locator('.jp-InputArea-editor').click();
  await page.keyboard.press('Shift+Enter');
  return before;
}

async function shot(page, a, name, locator) {
  const file = path.join(a.shots, name + '.png');
  if (locator) await locator.screenshot({ path: file });
  else await page.screenshot({ path: file });
  log({ screenshot: file });
}

// runAllOutcome polls the notebook until every code cell has its count with the kernel idle
// (true), or nothing has run or waited for 10 s with cells left without a count, or the
// timeout passed (false).
async function runAllOutcome(page, panel, timeout) {
  const start = Date.now();
  let quietSince = 0;
  while (Date.now() - start < timeout) {
    const s = await page.evaluate((panel) => {
      const p = document.querySelector(panel);
      const prompts = [...p.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map((e) => e.textContent.trim());
      return {
        counted: prompts.length > 0 && prompts.every((t) => /^\[\d+\]:$/.test(t)),
        pending: prompts.some((t) => t === '[*]:'),
        idle: !!p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]'),
      };
    }, panel);
    if (s.counted && s.idle) return true;
    if (!s.pending && s.idle) {
      quietSince = quietSince || Date.now();
      if (Date.now() - quietSince > 10000) return false;
    } else {
      quietSince = 0;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

// closeCurrent shuts the current notebook's kernel down and closes its tab unsaved.
async function closeCurrent(page) {
  await page.evaluate(async () => {
    const w = window.lab.shell.currentWidget;
    await w.context.sessionContext.shutdown();
    w.context.model.dirty = false;
    w.dispose();
  });
}

// ---- scenarios -----------------------------------------------------------------------------

async function lessons(page, a) {
  const results = [];
  for (const nb of a.lessons.split(',')) {
    const dir = path.posix.dirname(nb);
    const name = path.posix.basename(nb);
    // The file browser: home, then each folder, then the notebook, by double-clicks.
    await page.evaluate(() => window.lab.commands.execute('filebrowser:activate'));
    await page.click('.jp-FileBrowser .jp-BreadCrumbs-home');
    for (const part of dir === '.' ? [] : dir.split('/')) {
      await page.locator('.jp-FileBrowser .jp-DirListing-itemText').getByText(part, { exact: true }).dblclick();
      await page.waitForFunction((part) => document.querySelector('.jp-FileBrowser .jp-BreadCrumbs').textContent.includes(part), part);
    }
    await page.locator('.jp-FileBrowser .jp-DirListing-itemText').getByText(name, { exact: true }).dblclick();
    await kernelReady(page, a);
    const panel = await current(page);
    log({ step: 'opened', notebook: nb });

    const t0 = Date.now();
    await menu(page, 'Run', 'Run All Cells');
    // Done: no cell waits or runs ("[*]:"), every code cell has a count, the kernel is idle.
    // Stalled: no cell waits or runs and the kernel is idle, for 10 s, yet some cells have no
    // count (a cell failed and the rest were aborted): said at once, not after the timeout.
    const done = await runAllOutcome(page, panel, a.timeout);
    const seconds = (Date.now() - t0) / 1000;
    check('run all finished', done, { notebook: nb, seconds });
    if (!done) {
      // Name what was left: each cell whose prompt has no count, with the start of its source
      // and the end of its output, so a CI log alone tells which cell and why.
      const left = await page.evaluate((panel) => {
        const p = document.querySelector(panel);
        return [...p.querySelectorAll('.jp-CodeCell')].map((c, i) => ({
          cell: i,
          prompt: c.querySelector('.jp-InputPrompt').textContent.trim(),
          source: c.querySelector('.jp-InputArea-editor').textContent.slice(0, 120),
          output: [...c.querySelectorAll('.jp-OutputArea-output')].map((o) => o.textContent).join('').slice(-400),
        })).filter((c) => !/^\[\d+\]:$/.test(c.prompt));
      }, panel);
      log({ step: 'cells left without a count', notebook: nb, left });
    }

    // Every image output is scrolled into view and measured: a student sees it only if
    // it has a size.
    const outputs = page.locator(`${panel} .jp-OutputArea-output[data-mime-type^="image/"]`);
    const images = [];
    for (let k = 0; k < (await outputs.count()); k++) {
      await outputs.nth(k).scrollIntoViewIfNeeded();
      images.push(await outputs.nth(k).evaluate((o) => {
        const img = o.querySelector('img, svg');
        const r = img ? img.getBoundingClientRect() : { width: 0, height: 0 };
        return { width: Math.round(r.width), height: Math.round(r.height), loaded: !!img && (img.tagName !== 'IMG' || (img.complete && img.naturalWidth > 0)) };
      }));
    }
    const cells = await page.evaluate((panel) => {
      const p = document.querySelector(panel);
      return [...p.querySelectorAll('.jp-CodeCell')].map((c) => ({
        prompt: c.querySelector('.jp-InputPrompt').textContent.trim(),
        outputs: [...c.querySelectorAll('.jp-OutputArea-child:not(.jp-OutputArea-stdin-hiding) .jp-OutputArea-output')].map((o) => ({
          mime: o.getAttribute('data-mime-type') || '',
          text: o.textContent,
          image: o.querySelector('img, svg') ? 1 : 0,
        })),
      }));
    }, panel);
    // Attach the measured sizes to the image outputs, in document order.
    let k = 0;
    for (const c of cells) for (const o of c.outputs) if (o.mime.startsWith('image/')) Object.assign(o, images[k++] || {});
    const status = await page.evaluate((panel) => ({
      indicator: document.querySelector(panel + ' .jp-Notebook-ExecutionIndicator').getAttribute('data-status'),
      statusbar: document.querySelector('#jp-main-statusbar').textContent,
    }), panel);
    results.push({ notebook: nb, seconds, done, status, cells });
    log({ step: 'ran', notebook: nb, seconds, status });

    // The screenshot shows the last image (lesson 2's timeline), else the last cell.
    const last = (await outputs.count()) > 0 ? outputs.last() : page.locator(`${panel} .jp-CodeCell`).last();
    await last.scrollIntoViewIfNeeded();
    const base = 'lesson-' + nb.replace(/\//g, '-').replace(/\.ipynb$/, '');
    await shot(page, a, base);
    if ((await outputs.count()) > 0) await shot(page, a, base + '-chart', outputs.last());
    await closeCurrent(page);
  }
  fs.writeFileSync(a.out, JSON.stringify(results, null, 1));
}

async function picker(page, a) {
  const card = page.locator(`.jp-LauncherCard[data-category="Notebook"][title="${a.display}"]`);
  const logo = await card.locator('img').evaluate((img) => ({ src: img.src, width: img.naturalWidth, height: img.naturalHeight })).catch((e) => ({ error: String(e) }));
  check('launcher card shows the kernel logo', logo.width > 0 && /\/kernelspecs\/[^/]+\/logo-/.test(logo.src || ''), logo);
  await shot(page, a, 'launcher');
  await menu(page, 'File', 'New', 'Notebook');
  const dialog = page.locator('.jp-Dialog');
  await dialog.waitFor();
  const options = await dialog.locator('select option').evaluateAll((os) => os.map((o) => ({ text: o.textContent, value: o.value })));
  const go = options.find((o) => o.text === a.display);
  check('kernel picker offers the Go kernel by display name', !!go, { options });
  await shot(page, a, 'picker', dialog.locator('.jp-Dialog-content'));
  if (!go) return;
  await dialog.locator('select').selectOption(go.value);
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await kernelReady(page, a);
  const spec = await page.evaluate(() => {
    const s = window.lab.shell.currentWidget.sessionContext;
    return { name: s.session.kernel.name, display: s.kernelDisplayName, statusbar: document.querySelector('#jp-main-statusbar').textContent };
  });
  check('the notebook runs the chosen kernel', spec.display === a.display && spec.statusbar.includes(a.display), spec);
  await closeCurrent(page);
}

async function stdin(page, a) {
  const panel = await newGoNotebook(page, a);
  await setCell(page, panel, 0, 'var name string\nfmt.Print("your name? ")\nfmt.Scanln(&name)\nfmt.Println("hello,", name)');
  const before = await runCell(page, panel, 0);
  const box = page.locator(`${panel} .jp-Stdin-input`);
  const shown = await box.waitFor({ timeout: a.timeout }).then(() => true, () => false);
  const prompt = shown ? await page.locator(`${panel} .jp-Stdin-prompt`).textContent().catch(() => '') : '';
  check('input box appears', shown, { prompt, output: await outputText(page, 0) });
  if (!shown) return;
  await shot(page, a, 'stdin');
  await box.click();
  await page.keyboard.type('gopher');
  await page.keyboard.press('Enter');
  await waitCount(page, 0, before, a.timeout);
  const got = await waitOutput(page, 0, 'hello, gopher', 10000);
  check('typed text reaches the program', got, { output: await outputText(page, 0) });
  log({ outputs: await page.evaluate((panel) => [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-OutputArea-child')].map((c) => c.className + ' :: ' + c.outerHTML.slice(0, 400)), panel) });
  await shot(page, a, 'stdin-answered');
  await closeCurrent(page);
}

async function interrupt(page, a) {
  const panel = await newGoNotebook(page, a);
  const button = page.locator(`${panel} .jp-Toolbar-item[data-jp-item-name="interrupt"] button, ${panel} .jp-Toolbar-item[data-jp-item-name="interrupt"] jp-button`).first();
  const cases = [
    // Two goroutines each hold one lock and wait for the other's; a third keeps sleeping,
    // so Go's own "all goroutines are asleep" check never fires: only an interrupt ends it.
    ['deadlock', 'var a, b sync.Mutex\ngo func() { for { time.Sleep(time.Second) } }()\n' +
      'go func() { a.Lock(); time.Sleep(50 * time.Millisecond); b.Lock() }()\n' +
      'b.Lock()\ntime.Sleep(50 * time.Millisecond)\nfmt.Println("both hold one lock")\na.Lock()', 'both hold one lock', 'sync.Mutex.Lock'],
    ['loop', 'for i := 0; ; i++ {\n\tfmt.Println("tick", i)\n\ttime.Sleep(200 * time.Millisecond)\n}', 'tick 2', 'goroutine 1'],
  ];
  for (const [i, [what, code, running, listing]] of cases.entries()) {
    await setCell(page, panel, i, code);
    const before = await runCell(page, panel, i);
    const started = await waitOutput(page, i, running, a.timeout);
    check(`${what} cell runs`, started, { output: await outputText(page, i) });
    const t0 = Date.now();
    await button.click();
    const stopped = await waitCount(page, i, before, 30000).then(() => true, () => false);
    await idle(page, a);
    const text = await outputText(page, i);
    check(`interrupt button stops the ${what} cell with the goroutine listing`,
      stopped && /nterrupt/.test(text) && text.includes('Where each goroutine was') && text.includes(listing),
      { seconds: (Date.now() - t0) / 1000, output: text.slice(-1500) });
    const cell = page.locator(`${panel} .jp-CodeCell`).nth(i);
    await cell.scrollIntoViewIfNeeded();
    await shot(page, a, 'interrupt-' + what);
    await shot(page, a, 'interrupt-' + what + '-cell', cell);
  }
  // The kernel stays: a cell after the interrupts runs with the next count.
  await setCell(page, panel, 2, 'fmt.Println("still here")');
  let before = await runCell(page, panel, 2);
  await waitCount(page, 2, before, a.timeout);
  check('kernel carries on after the interrupts', await waitOutput(page, 2, 'still here', 10000),
    { prompt: await promptOf(page, 2), output: await outputText(page, 2) });

  // Restart from the toolbar, confirm in the dialog; the next cell's count is 1.
  await page.locator(`${panel} .jp-Toolbar-item[data-jp-item-name="restart"] button, ${panel} .jp-Toolbar-item[data-jp-item-name="restart"] jp-button`).first().click();
  await page.locator('.jp-Dialog .jp-Dialog-button.jp-mod-accept').click();
  await page.waitForFunction(() => !document.querySelector('.jp-Dialog'));
  await kernelReady(page, a);
  await setCell(page, panel, 3, 'fmt.Println("after restart")');
  before = await runCell(page, panel, 3);
  await waitCount(page, 3, before, a.timeout);
  const prompt = await promptOf(page, 3);
  check('after the restart button the next cell runs with count 1',
    prompt === '[1]:' && await waitOutput(page, 3, 'after restart', 10000), { prompt, output: await outputText(page, 3) });
  await shot(page, a, 'restart');
  await closeCurrent(page);
}

// reload: a student reloads the page while a cell runs, and opens the notebook again. The
// kernel keeps running on the server; the reopened page must show it busy while the cell
// still runs (jupyter_server 1.x skips its iopub check for a busy kernel, so only the
// kernel's status to a new subscriber tells the page), then idle with the cell's output.
async function reload(page, a) {
  let panel = await newGoNotebook(page, a);
  const nbPath = await page.evaluate(() => window.lab.shell.currentWidget.context.path);
  const sleepMS = 10000;
  await setCell(page, panel, 0, `fmt.Println("sleeping")\ntime.Sleep(${sleepMS} * time.Millisecond)\nfmt.Println("woke")`);
  // The launcher made the file on the server already; the kernel's session is keyed by it.
  await runCell(page, panel, 0);
  const t0 = Date.now();
  check('the sleeping cell runs', await waitOutput(page, 0, 'sleeping', a.timeout), { output: await outputText(page, 0) });

  await page.reload();
  await page.waitForFunction(() => window.lab || window.labError, null, { timeout: a.timeout });
  await page.waitForSelector('.jp-Launcher, .jp-NotebookPanel');
  await page.evaluate((p) => window.lab.commands.execute('docmanager:open', { path: p }), nbPath);
  panel = await page.waitForFunction((p) => {
    const w = window.lab.shell.currentWidget;
    return w && w.context && w.context.path === p && document.getElementById(w.id) ? '#' + w.id : false;
  }, nbPath, { timeout: a.timeout }).then((h) => h.jsonValue());
  const busy = await page.waitForFunction((panel) => {
    const p = document.querySelector(panel);
    return p && p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="busy"]');
  }, panel, { timeout: Math.max(1000, sleepMS - (Date.now() - t0) - 1000) }).then(() => true, () => false);
  const seenAt = (Date.now() - t0) / 1000;
  const state = await page.evaluate((panel) => {
    const p = document.querySelector(panel);
    const i = p && p.querySelector('.jp-Notebook-ExecutionIndicator');
    return i ? i.getAttribute('data-status') : 'none';
  }, panel);
  check('after a reload mid-cell the reopened notebook shows the kernel busy while the cell runs',
    busy && seenAt * 1000 < sleepMS, { seconds_since_run: seenAt, indicator: state });
  await shot(page, a, 'reload-busy');
  const done = await page.waitForFunction((panel) => {
    const p = document.querySelector(panel);
    return p && p.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
  }, panel, { timeout: sleepMS + 30000 }).then(() => true, () => false);
  check('when the cell ends the reopened notebook shows the kernel idle', done, { seconds_since_run: (Date.now() - t0) / 1000 });
  await closeCurrent(page);
}

async function complete(page, a) {
  const panel = await newGoNotebook(page, a);
  await setCell(page, panel, 0, 'var mu sync.Mutex\nmu.Lock()\nmu.Unlock()');
  const before = await runCell(page, panel, 0);
  await waitCount(page, 0, before, a.timeout);
  await idle(page, a);

  const completer = page.locator('.jp-Completer');
  const items = () => completer.locator('.jp-Completer-item').evaluateAll((li) => li.map((e) => ({
    name: e.getAttribute('data-value'),
    type: (e.querySelector('.jp-Completer-typeExtended') || e.querySelector('.jp-Completer-type') || {}).textContent || '',
  })));
  const cases = [
    ['strings.', { Contains: 'function', TrimSpace: 'function', Builder: 'class' }],
    ['mu.', { Lock: 'function', Unlock: 'function', TryLock: 'function' }],
  ];
  for (const [i, [prefix, want]] of cases.entries()) {
    await typeInto(page, panel, i + 1, prefix);
    await page.keyboard.press('Tab');
    const shown = await completer.waitFor({ state: 'visible', timeout: 30000 }).then(() => true, () => false);
    const got = shown ? await items() : [];
    const wrong = Object.entries(want).filter(([n, t]) => !got.some((g) => g.name === n && g.type.includes(t)));
    check(`Tab after ${prefix} lists the members with their types`, shown && wrong.length === 0,
      { missing_or_wrong: wrong, got: got.slice(0, 40) });
    await shot(page, a, 'complete-' + prefix.replace(/\W/g, ''));
    await page.keyboard.press('Escape');
  }

  // Shift+Tab on fmt.Println: the tooltip with its doc.
  await typeInto(page, panel, 3, 'fmt.Println(');
  await page.keyboard.press('Shift+Tab');
  const tooltip = page.locator('.jp-Tooltip');
  const tipShown = await tooltip.waitFor({ state: 'visible', timeout: 30000 }).then(() => true, () => false);
  const tip = tipShown ? await tooltip.textContent() : '';
  check('Shift+Tab shows fmt.Println\'s doc', /Println formats/.test(tip), { tooltip: tip.slice(0, 400) });
  await shot(page, a, 'tooltip');
  await page.keyboard.press('Escape');

  // Help > Show Contextual Help: the inspector follows the cursor.
  await page.evaluate(() => window.lab.commands.execute('inspector:open'));
  await page.locator(`${panel} .jp-CodeCell`).nth(3).locator('.jp-InputArea-editor').click();
  await page.keyboard.press('End');
  const inspected = await page.waitForFunction(() => {
    const c = document.querySelector('.jp-Inspector-content');
    return c && /Println formats/.test(c.textContent);
  }, null, { timeout: 30000 }).then(() => true, () => false);
  const help = await page.locator('.jp-Inspector-content').textContent().catch(() => '');
  check('contextual help shows fmt.Println\'s doc', inspected, { inspector: help.slice(0, 400) });
  await shot(page, a, 'inspector');
  await closeCurrent(page);
}

async function highlight(page, a) {
  const panel = await newGoNotebook(page, a);
  await setCell(page, panel, 0, 'func double(n int) int {\n\tfor i := 0; i < 1; i++ {\n\t\treturn n * 2\n\t}\n\treturn 0\n}\nvar s = "text"');
  await page.waitForTimeout(500); // CodeMirror parses in idle time
  const got = await page.evaluate((panel) => {
    const root = document.querySelector(panel + ' .jp-CodeCell .cm-content');
    // The theme's colours, resolved the way the browser resolves the token spans' colours.
    // The probe goes outside the editor: CodeMirror owns its DOM and re-renders on changes.
    const probe = (v) => {
      const e = document.createElement('span');
      e.style.color = `var(${v})`;
      document.body.appendChild(e);
      const c = getComputedStyle(e).color;
      e.remove();
      return c;
    };
    const tokens = [...root.querySelectorAll('span')].map((s) => ({ text: s.textContent, cls: s.className, color: getComputedStyle(s).color }));
    return {
      tokens,
      keyword: probe('--jp-mirror-editor-keyword-color'),
      string: probe('--jp-mirror-editor-string-color'),
      plain: getComputedStyle(root).color,
      mime: window.lab.shell.currentWidget.content.codeMimetype,
    };
  }, panel);
  const colourOf = (t) => (got.tokens.find((x) => x.text === t) || {}).color;
  const keywords = ['func', 'for', 'return', 'var'];
  const badKeywords = keywords.filter((k) => colourOf(k) !== got.keyword);
  check('Go keywords carry the keyword colour', badKeywords.length === 0 && got.keyword !== got.plain,
    { mime: got.mime, keyword_colour: got.keyword, plain: got.plain, wrong: badKeywords.map((k) => [k, colourOf(k)]) });
  check('Go strings carry the string colour', colourOf('"text"') === got.string && got.string !== got.plain,
    { string_colour: got.string, have: colourOf('"text"') });
  check('the notebook asks CodeMirror for Go', got.mime === 'text/x-go', { mime: got.mime });
  await shot(page, a, 'highlight', page.locator(`${panel} .jp-CodeCell`).first());
  log({ tokens: got.tokens.slice(0, 30) });
  await closeCurrent(page);
}

const scenarios = { lessons, picker, stdin, interrupt, reload, complete, highlight };

async function main() {
  const a = parseArgs();
  const run = scenarios[a.scenario];
  if (!run) throw new Error(`unknown scenario ${a.scenario}; have ${Object.keys(scenarios).join(', ')}`);
  fs.mkdirSync(a.shots, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clienttest-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', headless: true, chromiumSandbox: false,
    viewport: { width: 1280, height: 860 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let page;
  try {
    page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(a.timeout);
    page.on('pageerror', (e) => log({ pageerror: String(e) }));
    page.on('crash', () => log({ crash: 'the page crashed' }));
    page.on('close', () => log({ step: 'page closed' }));
    // ?reset: no layout restored from an earlier run (it may name notebooks gone by now).
    await page.goto(`${a.base}/lab?reset`);
    await page.waitForFunction(() => window.lab || window.labError, null, { timeout: a.timeout });
    const failed = await page.evaluate(() => window.labError);
    if (failed) throw new Error('JupyterLab did not start: ' + failed);
    await page.waitForSelector('.jp-Launcher');
    log({ step: 'JupyterLab up', scenario: a.scenario });
    await run(page, a);
  } catch (e) {
    if (page) await shot(page, a, 'crash-' + a.scenario).catch(() => {});
    throw e;
  } finally {
    await ctx.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  log({ result: ok ? 'PASS' : 'FAIL' });
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error('CRASH', e); process.exit(2); });
