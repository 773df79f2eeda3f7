"""Protocol conformance of one Jupyter kernel, through jupyter_client.

Run by kernel/clienttest (TestClients/jupyter_kernel_test); by hand:

    KERNEL_NAME=gokernel KERNEL_SAMPLES=go.json /usr/bin/python3 -m pytest -v test_conformance.py

KERNEL_SAMPLES names a JSON object with the code samples of the kernel's language
(go.json for gokernel, python.json for Debian's ipykernel, which proves this file
works against a reference kernel). Keys that are jupyter_kernel_test attributes
(code_hello_world, completion_samples, ...) feed the official suite unchanged; the
other keys feed the tests of our own below. An empty value skips the test using it.

Three classes, three kernels: the official suite (jupyter_kernel_test.KernelTests),
our execution tests (counters, stop_on_error, interrupt, signatures, completion
while busy), and restart (kept apart because it replaces the kernel process).
"""
import json
import os
import signal
import time
import unittest
import uuid
from queue import Empty

import jupyter_kernel_test as jkt
import zmq
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session
from jupyter_kernel_test.msgspec_v5 import validate_message

# jupyter_kernel_test waits TIMEOUT seconds for each reply (15 s in 0.4.5).
jkt.TIMEOUT = float(os.environ.get("KERNEL_TEST_TIMEOUT", jkt.TIMEOUT))
KERNEL_NAME = os.environ.get("KERNEL_NAME", "gokernel")


def load_samples():
    path = os.environ.get("KERNEL_SAMPLES") or os.path.join(os.path.dirname(__file__), "go.json")
    with open(path, encoding="utf-8") as f:
        samples = json.load(f)
    for s in samples.get("completion_samples", []):
        if "matches" in s:
            s["matches"] = set(s["matches"])
    if "supported_history_operations" in samples:
        samples["supported_history_operations"] = tuple(samples["supported_history_operations"])
    return samples


SAMPLES = load_samples()
# Samples used only by our own tests, never by jupyter_kernel_test.
OWN_KEYS = {
    "code_sleep",            # runs >= 10 s, interruptible
    "code_slow_error",       # fails after ~0.5 s, so requests queue up behind it
    "code_define",           # declares something...
    "code_use_definition",   # ...that this cell uses: ok before restart, error after
    "interrupt_evalue",      # text the interrupted cell's error (ename+evalue+traceback) contains
    "complete_while_busy",   # {"code": ..., "matches": [...]}: asked while code_sleep runs
    "code_input",            # {"code", "answer", "expect"}: reads a line from stdin, prints it
    "code_deadlock",         # {"code", "expect": [...]}: a lock-order deadlock; texts in its error
    "code_child_then_loop",  # starts `sleep 300`, prints child=PID, loops until interrupted
    "code_race",             # {"code", "expect": [...]}: a racy counter under the race detector
    "code_third_party",      # {"code", "expect"}: imports a module outside the standard library
    "code_offline_import",   # {"code", "module", "says_any": [...]}: the same with GOPROXY=off, empty cache
    "language_version_prefix",
    "late_subscriber_status",  # true: a client subscribing to iopub while code_sleep runs hears "busy"
}


class OfficialSuite(jkt.KernelTests):
    """jupyter_kernel_test's own tests with our language's samples."""

    kernel_name = KERNEL_NAME


for _key, _value in SAMPLES.items():
    if _key in OWN_KEYS or _key.startswith("_"):  # "_comment" keys document the file
        continue
    if not hasattr(OfficialSuite, _key):
        raise KeyError(f"unknown sample key {_key!r}")
    setattr(OfficialSuite, _key, _value)


def own(key):
    return SAMPLES.get(key) or ""


class KernelCase(unittest.TestCase):
    """One kernel per class, plus helpers that read every message of a request."""

    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=False)

    def drain(self):
        # The blocking client's get_*_msg wrappers; the channels' own get_msg is a coroutine.
        for get in (self.kc.get_shell_msg, self.kc.get_iopub_msg, self.kc.get_control_msg):
            while True:
                try:
                    get(timeout=0.05)
                except Empty:
                    break

    def shell_reply(self, msg_id, timeout=jkt.TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no shell reply to {msg_id} within {timeout} s")
            try:
                msg = self.kc.get_shell_msg(timeout=left)
            except Empty:
                self.fail(f"no shell reply to {msg_id} within {timeout} s")
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def iopub_until_idle(self, msg_id, timeout=jkt.TIMEOUT):
        """All iopub messages whose parent is msg_id, up to and including idle."""
        got, deadline = [], time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no idle for {msg_id} within {timeout} s; got {[m['msg_type'] for m in got]}")
            try:
                msg = self.kc.get_iopub_msg(timeout=left)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            validate_message(msg, msg["msg_type"], msg_id)
            got.append(msg)
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                return got

    def execute(self, code, timeout=jkt.TIMEOUT, **kw):
        msg_id = self.kc.execute(code, **kw)
        reply = self.shell_reply(msg_id, timeout=timeout)
        validate_message(reply, "execute_reply", msg_id)
        return reply, self.iopub_until_idle(msg_id)

    @staticmethod
    def types(msgs):
        return [m["msg_type"] for m in msgs]


class ExecutionRules(KernelCase):
    """execution_count, silent, store_history, stop_on_error, interrupt, signatures."""

    def test_busy_idle_around_kernel_info(self):
        self.drain()
        for channel in ("shell", "control"):
            with self.subTest(channel=channel):
                msg = self.kc.session.msg("kernel_info_request")
                if channel == "shell":
                    self.kc.shell_channel.send(msg)
                    reply = self.shell_reply(msg["header"]["msg_id"])
                else:
                    self.kc.control_channel.send(msg)
                    reply = self.kc.get_control_msg(timeout=jkt.TIMEOUT)
                validate_message(reply, "kernel_info_reply", msg["header"]["msg_id"])
                states = [m["content"]["execution_state"]
                          for m in self.iopub_until_idle(msg["header"]["msg_id"]) if m["msg_type"] == "status"]
                self.assertEqual(states, ["busy", "idle"], "have status sequence %r, want busy, idle" % states)
                prefix = own("language_version_prefix")
                if prefix:
                    version = reply["content"]["language_info"].get("version", "")
                    self.assertTrue(version.startswith(prefix), f"language_info.version {version!r} does not start with {prefix!r}")

    def test_execution_count_consecutive(self):
        self.drain()
        counts = []
        for _ in range(3):
            reply, msgs = self.execute(SAMPLES["code_hello_world"])
            self.assertEqual(reply["content"]["status"], "ok")
            inputs = [m for m in msgs if m["msg_type"] == "execute_input"]
            self.assertEqual(len(inputs), 1, f"have {self.types(msgs)}, want one execute_input")
            self.assertEqual(inputs[0]["content"]["execution_count"], reply["content"]["execution_count"])
            self.assertLess(self.types(msgs).index("execute_input"),
                            self.types(msgs).index("stream"), "execute_input must come before output")
            counts.append(reply["content"]["execution_count"])
        self.assertEqual(counts, [counts[0], counts[0] + 1, counts[0] + 2])

    def test_silent_and_store_history_false_do_not_count(self):
        self.drain()
        first, _ = self.execute(SAMPLES["code_hello_world"])
        result_code = SAMPLES["code_execute_result"][0]["code"]
        reply, msgs = self.execute(result_code, silent=True)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertNotIn("execute_input", self.types(msgs))
        self.assertNotIn("execute_result", self.types(msgs))
        reply, msgs = self.execute(result_code, store_history=False)
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("execute_result", self.types(msgs))
        last, _ = self.execute(SAMPLES["code_hello_world"])
        self.assertEqual(last["content"]["execution_count"], first["content"]["execution_count"] + 1,
                         "silent and store_history=False requests must not advance execution_count")

    def test_stop_on_error_aborts_queued_requests(self):
        if not own("code_slow_error"):
            raise unittest.SkipTest("no code_slow_error sample")
        self.drain()
        failing = self.kc.execute(own("code_slow_error"), stop_on_error=True)
        queued = [self.kc.execute(SAMPLES["code_hello_world"]) for _ in range(2)]
        reply = self.shell_reply(failing)
        self.assertEqual(reply["content"]["status"], "error")
        for msg_id in queued:
            r = self.shell_reply(msg_id)
            # Not validate_message: its schema knows "abort", kernels (ipykernel too) send "aborted".
            self.assertEqual(r["msg_type"], "execute_reply")
            self.assertEqual(r["content"]["status"], "aborted",
                             "a request queued behind a failed stop_on_error cell must be aborted")
        # The queue is flushed once: the next request runs normally.
        self.drain()
        reply, _ = self.execute(SAMPLES["code_hello_world"])
        self.assertEqual(reply["content"]["status"], "ok")

    def test_stop_on_error_false_keeps_queue(self):
        if not own("code_slow_error"):
            raise unittest.SkipTest("no code_slow_error sample")
        self.drain()
        failing = self.kc.execute(own("code_slow_error"), stop_on_error=False)
        queued = self.kc.execute(SAMPLES["code_hello_world"])
        self.assertEqual(self.shell_reply(failing)["content"]["status"], "error")
        self.assertEqual(self.shell_reply(queued)["content"]["status"], "ok")
        self.drain()

    def interrupt_and_check(self, interrupt):
        if not own("code_sleep"):
            raise unittest.SkipTest("no code_sleep sample")
        self.drain()
        msg_id = self.kc.execute(own("code_sleep"))
        time.sleep(1.5)
        t0 = time.monotonic()
        interrupt()
        reply = self.shell_reply(msg_id, timeout=10)
        took = time.monotonic() - t0
        validate_message(reply, "execute_reply", msg_id)
        self.assertEqual(reply["content"]["status"], "error", "an interrupted cell ends in error")
        self.assertLess(took, 5, f"interrupt took {took:.2f} s")
        msgs = self.iopub_until_idle(msg_id)
        errors = [m for m in msgs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1, f"have {self.types(msgs)}, want one error message")
        text = " ".join([errors[0]["content"]["ename"], errors[0]["content"]["evalue"]]
                        + errors[0]["content"]["traceback"])
        self.assertIn(own("interrupt_evalue"), text)
        # The kernel carries on.
        reply, msgs = self.execute(SAMPLES["code_hello_world"])
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("hello, world", "".join(m["content"].get("text", "") for m in msgs if m["msg_type"] == "stream"))
        return took

    def test_interrupt_by_manager(self):
        """KernelManager.interrupt_kernel: SIGINT or interrupt_request per kernelspec interrupt_mode."""
        self.interrupt_and_check(self.km.interrupt_kernel)

    def test_interrupt_by_signal(self):
        self.interrupt_and_check(lambda: self.km.signal_kernel(signal.SIGINT))

    def test_interrupt_by_control_message(self):
        def send():
            msg = self.kc.session.msg("interrupt_request", {})
            self.kc.control_channel.send(msg)
            reply = self.kc.get_control_msg(timeout=jkt.TIMEOUT)
            # Not validate_message: ipykernel 6 replies with empty content, no status.
            self.assertEqual(reply["msg_type"], "interrupt_reply")
            self.assertEqual(reply["parent_header"]["msg_id"], msg["header"]["msg_id"])
        self.interrupt_and_check(send)

    def test_complete_while_cell_runs(self):
        sample = SAMPLES.get("complete_while_busy")
        if not sample or not own("code_sleep"):
            raise unittest.SkipTest("no complete_while_busy sample")
        self.drain()
        running = self.kc.execute(own("code_sleep"))
        time.sleep(1.0)
        t0 = time.monotonic()
        msg_id = self.kc.complete(sample["code"])
        reply = self.shell_reply(msg_id, timeout=5)
        took = time.monotonic() - t0
        validate_message(reply, "complete_reply", msg_id)
        self.assertEqual(set(sample["matches"]), set(reply["content"]["matches"]) & set(sample["matches"]))
        self.assertLess(took, 2.0, f"complete_reply took {took:.2f} s while a cell ran")
        self.km.interrupt_kernel()
        self.shell_reply(running, timeout=10)
        self.drain()

    def test_late_subscriber_hears_busy(self):
        """A client that connects while a cell runs (a reloaded JupyterLab tab) hears the kernel is busy."""
        if not own("late_subscriber_status") or not own("code_sleep"):
            raise unittest.SkipTest("the kernel does not tell a new iopub subscriber its status")
        self.drain()
        running = self.kc.execute(own("code_sleep"))
        time.sleep(1.0)
        late = self.km.client()
        late.start_channels()
        try:
            state, deadline = None, time.monotonic() + 3
            while state is None and time.monotonic() < deadline:
                try:
                    msg = late.get_iopub_msg(timeout=0.2)
                except Empty:
                    continue
                if msg["msg_type"] == "status":
                    state = msg["content"]["execution_state"]
            self.assertEqual(state, "busy", "a client that joined while a cell ran heard no status within 3 s")
        finally:
            late.stop_channels()
        self.km.interrupt_kernel()
        self.shell_reply(running, timeout=10)
        self.drain()

    def test_wrong_signature_is_ignored(self):
        """Messages signed with another key (or unsigned) are dropped; the kernel keeps serving."""
        self.drain()
        info = self.km.get_connection_info()
        ctx = zmq.Context.instance()
        for label, key in (("wrong key", b"not-the-key-" + uuid.uuid4().hex.encode()), ("unsigned", b"")):
            with self.subTest(signature=label):
                forger = Session(key=key, username="forger")
                sock = ctx.socket(zmq.DEALER)
                sock.linger = 0
                sock.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
                try:
                    msg = forger.msg("execute_request", {
                        "code": SAMPLES["code_hello_world"], "silent": False, "store_history": True,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
                    forger.send(sock, msg)
                    bad_id = msg["header"]["msg_id"]
                    self.assertEqual(sock.poll(2000), 0, "the kernel answered a wrongly signed request")
                finally:
                    sock.close()
                # Nothing on iopub may name the forged request as parent.
                while True:
                    try:
                        m = self.kc.get_iopub_msg(timeout=0.2)
                    except Empty:
                        break
                    self.assertNotEqual(m["parent_header"].get("msg_id"), bad_id,
                                        f"kernel published {m['msg_type']} for a forged request")
                reply, _ = self.execute(SAMPLES["code_hello_world"])
                self.assertEqual(reply["content"]["status"], "ok")


class Restart(KernelCase):
    def test_restart_forgets_state_and_resets_count(self):
        if not (own("code_define") and own("code_use_definition")):
            raise unittest.SkipTest("no code_define/code_use_definition samples")
        self.drain()
        self.assertEqual(self.execute(own("code_define"))[0]["content"]["status"], "ok")
        before, _ = self.execute(own("code_use_definition"))
        self.assertEqual(before["content"]["status"], "ok")
        old_pid = self.km.provisioner.pid if self.km.provisioner else None
        self.km.restart_kernel(now=False)
        self.kc.wait_for_ready(timeout=60)
        self.drain()
        new_pid = self.km.provisioner.pid if self.km.provisioner else None
        self.assertNotEqual(old_pid, new_pid, "restart must start a new kernel process")
        after, _ = self.execute(own("code_use_definition"))
        self.assertEqual(after["content"]["status"], "error", "a declaration survived the restart")
        reply, _ = self.execute(SAMPLES["code_hello_world"])
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(reply["content"]["execution_count"], 2, "execution_count restarts at 1")


class CellBehaviour(KernelCase):
    """Issue 4's cases through jupyter_client: stdin, deadlock, children on interrupt, %race."""

    def stream_text(self, msgs):
        return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")

    def error_text(self, msgs):
        return "\n".join(" ".join([m["content"]["ename"], m["content"]["evalue"]] + m["content"]["traceback"])
                         for m in msgs if m["msg_type"] == "error")

    def test_input_request_answered(self):
        sample = SAMPLES.get("code_input")
        if not sample:
            raise unittest.SkipTest("no code_input sample")
        self.drain()
        msg_id = self.kc.execute(sample["code"], allow_stdin=True)
        req = self.kc.get_stdin_msg(timeout=jkt.TIMEOUT)
        # Not validate_message: its schema wants password to be a number.
        self.assertEqual(req["msg_type"], "input_request")
        self.assertEqual(req["parent_header"]["msg_id"], msg_id)
        self.kc.input(sample["answer"])
        reply = self.shell_reply(msg_id)
        self.assertEqual(reply["content"]["status"], "ok")
        out = self.stream_text(self.iopub_until_idle(msg_id))
        self.assertIn(sample["expect"], out)

    def test_input_without_stdin_does_not_hang(self):
        sample = SAMPLES.get("code_input")
        if not sample:
            raise unittest.SkipTest("no code_input sample")
        self.drain()
        t0 = time.monotonic()
        msg_id = self.kc.execute(sample["code"], allow_stdin=False)
        self.shell_reply(msg_id, timeout=10)
        self.assertLess(time.monotonic() - t0, 10)
        try:
            self.kc.get_stdin_msg(timeout=0.2)
            self.fail("input_request sent although allow_stdin=False")
        except Empty:
            pass
        self.iopub_until_idle(msg_id)

    def test_deadlock_reported(self):
        sample = SAMPLES.get("code_deadlock")
        if not sample:
            raise unittest.SkipTest("no code_deadlock sample")
        self.drain()
        reply, msgs = self.execute(sample["code"])
        self.assertEqual(reply["content"]["status"], "error")
        text = self.error_text(msgs)
        for want in sample["expect"]:
            self.assertIn(want, text)

    def test_interrupt_kills_child_processes(self):
        sample = SAMPLES.get("code_child_then_loop")
        if not sample:
            raise unittest.SkipTest("no code_child_then_loop sample")
        self.drain()
        msg_id = self.kc.execute(sample)
        pid, deadline = None, time.monotonic() + 30
        while pid is None and time.monotonic() < deadline:
            try:
                m = self.kc.get_iopub_msg(timeout=1)
            except Empty:
                continue
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
                for word in m["content"]["text"].split():
                    if word.startswith("child="):
                        pid = int(word[len("child="):])
        self.assertIsNotNone(pid, "the cell did not print child=PID")
        os.kill(pid, 0)  # alive while the cell runs
        self.km.interrupt_kernel()
        self.assertEqual(self.shell_reply(msg_id, timeout=10)["content"]["status"], "error")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its parent is dead enough
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            time.sleep(0.1)
        else:
            self.fail(f"child process {pid} of the interrupted cell is still alive")
        self.drain()

    def test_race_detector(self):
        sample = SAMPLES.get("code_race")
        if not sample:
            raise unittest.SkipTest("no code_race sample")
        self.drain()
        # The first race build compiles the race-enabled standard library: minutes when cold.
        reply, msgs = self.execute(sample["code"], timeout=300)
        text = self.stream_text(msgs) + self.error_text(msgs)
        for want in sample["expect"]:
            self.assertIn(want, text)


class Modules(unittest.TestCase):
    """Issue 6: a module outside the standard library, fetched or (offline) refused clearly."""

    def run_cell(self, code, env=None):
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=60, **({"env": env} if env else {}))
        try:
            msg_id = kc.execute(code)
            reply = kc.get_shell_msg(timeout=300)  # a first fetch of a module may take a while
            while reply["parent_header"].get("msg_id") != msg_id:
                reply = kc.get_shell_msg(timeout=300)
            texts = []
            while True:
                m = kc.get_iopub_msg(timeout=jkt.TIMEOUT)
                if m["parent_header"].get("msg_id") != msg_id:
                    continue
                c = m["content"]
                if m["msg_type"] == "stream":
                    texts.append(c["text"])
                elif m["msg_type"] == "error":
                    texts.append(" ".join([c["ename"], c["evalue"]] + c["traceback"]))
                elif m["msg_type"] == "status" and c["execution_state"] == "idle":
                    return reply["content"]["status"], "\n".join(texts)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)

    def test_third_party_import(self):
        sample = SAMPLES.get("code_third_party")
        if not sample:
            raise unittest.SkipTest("no code_third_party sample")
        status, text = self.run_cell(sample["code"])
        self.assertEqual(status, "ok", text)
        self.assertIn(sample["expect"], text)

    def test_offline_import_fails_clearly(self):
        sample = SAMPLES.get("code_offline_import")
        if not sample:
            raise unittest.SkipTest("no code_offline_import sample")
        import tempfile
        with tempfile.TemporaryDirectory() as empty_cache:
            # An empty module cache and no proxy: the module cannot come from anywhere.
            env = dict(os.environ, GOPROXY="off", GOMODCACHE=empty_cache, GOFLAGS="-modcacherw")
            status, text = self.run_cell(sample["code"], env=env)
        print(text)  # kept in pytest's report
        self.assertEqual(status, "error", text)
        self.assertIn(sample["module"], text)
        self.assertTrue(any(w in text.lower() for w in sample["says_any"]),
                        f"the error does not say why: want one of {sample['says_any']} in {text!r}")
