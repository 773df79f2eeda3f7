#!/usr/bin/env node
// JupyterLab's client library, @jupyterlab/services 7, driving a kernel through jupyter_server
// (REST + websocket), exactly the calls JupyterLab's notebook makes.
//
// Usage: node lab_client.js --base http://127.0.0.1:PORT --kernel NAME \
//          --code CODE --expect TEXT --loop-code CODE --interrupt-expect TEXT
//
// Steps (one JSON line each; exit 0 when every check passed, 1 when one failed, 2 on a crash):
//  1. the kernelspec list names --kernel; start a session for a notebook path with it;
//  2. kernel_info arrives (the websocket handshake); run --code: reply ok, --expect in the
//     output, execute_input before output, busy ... idle around it;
//  3. complete / inspect / is_complete / history / comm_info are answered;
//  4. run --loop-code, interrupt through REST (POST /api/kernels/ID/interrupt, what
//     Kernel > Interrupt does): the reply is an error containing --interrupt-expect;
//     --code runs again;
//  5. restart through REST: the kernel comes back, --code runs with execution_count 1;
//  6. shut the session down.
// Node 20 has no global WebSocket: the ws package is passed in.
const { ServerConnection, KernelManager, SessionManager, KernelSpecManager } = require('@jupyterlab/services');
const WebSocket = require('ws');

function parseArgs() {
  const a = {};
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    a[v[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase())] = v[i + 1];
  }
  for (const k of ['base', 'kernel', 'code', 'expect', 'loopCode', 'interruptExpect']) {
    if (a[k] === undefined) throw new Error(`missing --${k}`);
  }
  return a;
}

const log = (o) => console.log(JSON.stringify(o));
let ok = true;
const check = (what, pass, detail) => { ok = ok && pass; log({ check: what, pass, ...detail }); };

// Runs code; resolves with the reply (error replies too) and the iopub messages in order.
async function execute(kernel, code) {
  const msgs = [];
  const future = kernel.requestExecute({ code, stop_on_error: false });
  future.onIOPub = (m) => msgs.push(m);
  let reply;
  try {
    reply = await future.done;
  } catch (e) {
    reply = e; // @jupyterlab/services rejects done when the reply status is not ok
  }
  const text = msgs.map((m) => {
    const c = m.content;
    switch (m.header.msg_type) {
      case 'stream': return c.text;
      case 'execute_result': case 'display_data': return (c.data || {})['text/plain'] || '';
      case 'error': return [c.ename, c.evalue, ...(c.traceback || [])].join('\n');
      default: return '';
    }
  }).join('');
  return { reply, msgs, text, types: msgs.map((m) => m.header.msg_type + (m.header.msg_type === 'status' ? ':' + m.content.execution_state : '')) };
}

async function main() {
  const a = parseArgs();
  const base = a.base.replace(/\/?$/, '/');
  const serverSettings = ServerConnection.makeSettings({
    baseUrl: base, wsUrl: base.replace(/^http/, 'ws'), token: '', appendToken: false,
    WebSocket, fetch, Request, Headers,
  });
  const specs = new KernelSpecManager({ serverSettings });
  await specs.ready;
  const names = Object.keys(specs.specs.kernelspecs);
  check('kernelspec listed', names.includes(a.kernel), { names });

  const kernelManager = new KernelManager({ serverSettings });
  const sessionManager = new SessionManager({ kernelManager, serverSettings });
  await sessionManager.ready;
  const nbPath = `clienttest-${Date.now()}.ipynb`;
  const session = await sessionManager.startNew({ path: nbPath, name: nbPath, type: 'notebook', kernel: { name: a.kernel } });
  const kernel = session.kernel;
  try {
    const info = await kernel.info;
    log({ step: 'kernel_info', protocol_version: info.protocol_version, implementation: info.implementation, language_info: info.language_info });

    // 2. run a cell
    let r = await execute(kernel, a.code);
    check('execute', r.reply.content.status === 'ok' && r.text.includes(a.expect),
      { status: r.reply.content.status, execution_count: r.reply.content.execution_count, output: r.text, want: a.expect });
    const order = r.types;
    const input = order.indexOf('execute_input');
    const firstOutput = order.findIndex((t) => t === 'stream' || t === 'execute_result');
    check('message order', order[0] === 'status:busy' && order[order.length - 1] === 'status:idle' && input >= 0 && input < firstOutput, { order });

    // 3. the other shell requests a notebook frontend makes
    const word = a.code.split(/\W/).find((w) => w.length > 2) || a.code;
    const comp = await kernel.requestComplete({ code: word.slice(0, 2), cursor_pos: 2 });
    check('complete_reply', comp.content.status === 'ok', { matches: (comp.content.matches || []).slice(0, 5) });
    const insp = await kernel.requestInspect({ code: a.code, cursor_pos: 2, detail_level: 0 });
    check('inspect_reply', insp.content.status === 'ok', { found: insp.content.found });
    const isc = await kernel.requestIsComplete({ code: a.code });
    check('is_complete_reply', isc.content.status === 'complete', { status: isc.content.status });
    const hist = await kernel.requestHistory({ hist_access_type: 'tail', n: 3, raw: true, output: false });
    check('history_reply', hist.content.status === 'ok' && (hist.content.history || []).length >= 1, { n: (hist.content.history || []).length });
    const ci = await kernel.requestCommInfo({});
    check('comm_info_reply', ci.content.status === 'ok', { comms: ci.content.comms });

    // 4. interrupt a looping cell through REST
    const loop = execute(kernel, a.loopCode);
    await new Promise((res) => setTimeout(res, 2000));
    const t0 = Date.now();
    await kernel.interrupt();
    r = await loop;
    const seconds = (Date.now() - t0) / 1000;
    check('interrupt', r.reply.content.status === 'error' && r.text.includes(a.interruptExpect),
      { seconds, status: r.reply.content.status, output_tail: r.text.slice(-300), want: a.interruptExpect });
    r = await execute(kernel, a.code);
    check('runs after the interrupt', r.reply.content.status === 'ok' && r.text.includes(a.expect), { status: r.reply.content.status });

    // 5. restart through REST
    const t1 = Date.now();
    await kernel.restart();
    r = await execute(kernel, a.code);
    check('restart', r.reply.content.status === 'ok' && r.reply.content.execution_count === 1 && r.text.includes(a.expect),
      { seconds: (Date.now() - t1) / 1000, status: r.reply.content.status, execution_count: r.reply.content.execution_count });
  } finally {
    await session.shutdown().catch((e) => log({ shutdown_error: String(e) }));
    sessionManager.dispose();
    kernelManager.dispose();
    specs.dispose();
  }
  log({ result: ok ? 'PASS' : 'FAIL' });
  process.exit(ok ? 0 : 1);
}

main().catch((e) => { console.error('CRASH', e); process.exit(2); });
