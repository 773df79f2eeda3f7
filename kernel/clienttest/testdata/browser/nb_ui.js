#!/usr/bin/env node
// Drives the classic Jupyter Notebook UI (notebook 6 / nbclassic) in headless Chromium,
// the way a person does: open a notebook, Shift+Enter, read the output, Kernel > Interrupt.
//
// Usage: node nb_ui.js --base http://127.0.0.1:PORT --kernel NAME \
//          --code CODE --expect TEXT \
//          --loop-code CODE --loop-expect TEXT --interrupt-expect TEXT \
//          [--shot DIR] [--timeout SECONDS]
//
// Steps (one JSON line each; exit 0 when every check passed, 1 when one failed, 2 on a crash):
//  1. PUT a notebook with two code cells (--code, --loop-code) through the contents API;
//  2. open /notebooks/NAME, wait for the kernel indicator to be idle;
//  3. run cell 0, wait for its output and idle, check the output contains --expect and the
//     prompt shows an execution count;
//  4. run cell 1 (a loop that prints), wait until its output contains --loop-expect (it streams
//     while running), click Kernel > Interrupt, wait for idle and for the output to contain
//     --interrupt-expect;
//  5. run cell 0 again: the kernel carries on after the interrupt;
//  6. delete the session (stops the kernel) and the notebook.
// Chromium is Debian's /usr/bin/chromium with flags that keep it quiet on a closed network.
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');

function parseArgs() {
  const a = { timeout: 60 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    a[v[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase())] = v[i + 1];
  }
  for (const k of ['base', 'kernel', 'code', 'expect', 'loopCode', 'loopExpect', 'interruptExpect']) {
    if (a[k] === undefined) throw new Error(`missing --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`);
  }
  a.base = a.base.replace(/\/$/, '');
  a.timeout = Number(a.timeout) * 1000;
  return a;
}

const log = (o) => console.log(JSON.stringify(o));

async function main() {
  const a = parseArgs();
  const name = `clienttest-${Date.now()}.ipynb`;
  const cell = (src) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: src });
  const nb = {
    nbformat: 4, nbformat_minor: 5, cells: [cell(a.code), cell(a.loopCode)].map((c, i) => ({ ...c, id: `cell-${i}` })),
    metadata: { kernelspec: { name: a.kernel, display_name: a.kernel, language: '' } },
  };
  const r = await fetch(`${a.base}/api/contents/${name}`, {
    method: 'PUT', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'notebook', content: nb }),
  });
  if (!r.ok) throw new Error(`create notebook: ${r.status} ${await r.text()}`);
  log({ step: 'notebook created', name });

  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'clienttest-chromium-'));
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium', headless: true, chromiumSandbox: false,
    viewport: { width: 1200, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let ok = true;
  const check = (what, pass, detail) => { ok = ok && pass; log({ check: what, pass, ...detail }); };
  let page;
  try {
    page = ctx.pages()[0] || await ctx.newPage();
    page.setDefaultTimeout(a.timeout);
    page.on('pageerror', (e) => log({ pageerror: String(e) }));
    const idle = () => page.waitForSelector('#kernel_indicator_icon.kernel_idle_icon');
    await page.goto(`${a.base}/notebooks/${name}`);
    await idle();
    log({ step: 'kernel idle', kernel: await page.evaluate(() => Jupyter.notebook.kernel.name) });

    const cells = page.locator('#notebook-container .cell.code_cell');
    const outputText = async (i) => (await cells.nth(i).locator('.output_area').allInnerTexts()).join('\n');
    const outputContains = (i, want, timeout) => page.waitForFunction(([i, w]) => {
      const c = document.querySelectorAll('#notebook-container .cell.code_cell')[i];
      const o = c && c.querySelector('.output_wrapper');
      return o && o.innerText.includes(w);
    }, [i, want], { timeout }).then(() => true, () => false);

    const promptOf = async (i) => (await cells.nth(i).locator('.input_prompt').innerText()).replace(/\u00a0/g, ' ').trim();
    // Shift+Enter on cell i; done when its prompt shows a new execution count ("In [n]:", not "In [*]:").
    const runCell = async (i) => {
      const before = await promptOf(i);
      await cells.nth(i).locator('.CodeMirror').click();
      await page.keyboard.press('Shift+Enter');
      return before;
    };
    const finished = (i, before) => page.waitForFunction(([i, b]) => {
      const c = document.querySelectorAll('#notebook-container .cell.code_cell')[i];
      const p = c.querySelector('.input_prompt').innerText.replace(/\u00a0/g, ' ').trim();
      return p !== b && /In \[\d+\]/.test(p);
    }, [i, before], { timeout: a.timeout });

    // 3. run a cell, read its output
    let t0 = Date.now();
    let before = await runCell(0);
    await finished(0, before);
    await idle();
    let text = await outputText(0);
    check('cell output', text.includes(a.expect), { seconds: (Date.now() - t0) / 1000, prompt: await promptOf(0), output: text, want: a.expect });
    if (a.shot) await page.screenshot({ path: path.join(a.shot, 'run.png') });

    // 4. a looping cell, interrupted from the Kernel menu
    before = await runCell(1);
    await page.waitForSelector('#kernel_indicator_icon.kernel_busy_icon');
    const looping = await outputContains(1, a.loopExpect, a.timeout);
    check('looping cell streams output', looping, { output: (await outputText(1)).slice(0, 200), want: a.loopExpect });
    t0 = Date.now();
    await page.click('#kernellink');
    await page.click('#int_kernel');
    await finished(1, before);
    await idle();
    const interrupted = await outputContains(1, a.interruptExpect, 10000);
    check('interrupt', interrupted, {
      seconds: (Date.now() - t0) / 1000, output_tail: (await outputText(1)).slice(-400), want: a.interruptExpect,
    });
    if (a.shot) await page.screenshot({ path: path.join(a.shot, 'interrupted.png') });

    // 5. the kernel carries on
    before = await runCell(0);
    await finished(0, before);
    await idle();
    text = await outputText(0);
    check('runs again after the interrupt', text.includes(a.expect), { prompt: await promptOf(0), output: text });
  } catch (e) {
    if (page && a.shot) await page.screenshot({ path: path.join(a.shot, 'crash.png') }).catch(() => {});
    throw e;
  } finally {
    await ctx.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    const sessions = await (await fetch(`${a.base}/api/sessions`)).json();
    for (const s of sessions) {
      if ((s.path || (s.notebook || {}).path) === name) await fetch(`${a.base}/api/sessions/${s.id}`, { method: 'DELETE' });
    }
    await fetch(`${a.base}/api/contents/${name}`, { method: 'DELETE' });
  }
  log({ result: ok ? 'PASS' : 'FAIL' });
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error('CRASH', e); process.exit(2); });
