"""Language smarts and notebook conventions of gokernel (issue 6), through jupyter_client.

Run by kernel/clienttest (TestSmarts); by hand, with gokernel installed:

    KERNEL_NAME=gokernel /usr/bin/python3 -m pytest -v test_smarts.py

Completion, inspection and pager replies are checked exactly; magics and shell lines
through execute; the %%python3 cell runs the source article's threading example; history
is read back from a second kernel after the first one shut down.
"""
import os
import shutil
import time
import unittest
import uuid
from queue import Empty

from jupyter_client.manager import start_new_kernel
from jupyter_kernel_test.msgspec_v5 import validate_message

KERNEL_NAME = os.environ.get("KERNEL_NAME", "gokernel")
TIMEOUT = 60

# The source article's §4.1 example, unchanged.
ARTICLE_THREADS = """import threading

def print_func():
    for i in range(5):
        print('Hello World!')

t1 = threading.Thread(target=print_func)
t2 = threading.Thread(target=print_func)

t1.start()
t2.start()

t1.join()
t2.join()
"""

# The same with a pause per line, so streaming can be seen.
ARTICLE_THREADS_SLOW = ARTICLE_THREADS.replace(
    "import threading\n", "import threading\nimport time\n").replace(
    "        print('Hello World!')", "        print('Hello World!')\n        time.sleep(0.3)")


class KernelCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=False)

    def reply(self, msg_id, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no reply to {msg_id} within {timeout} s")
            try:
                msg = self.kc.get_shell_msg(timeout=left)
            except Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg

    def execute(self, code, timeout=TIMEOUT):
        """Runs code; returns the reply and the iopub messages (with arrival times) up to idle."""
        msg_id = self.kc.execute(code)
        msgs, deadline = [], time.monotonic() + timeout
        reply = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no idle for {code!r} within {timeout} s")
            try:
                msg = self.kc.get_iopub_msg(timeout=0.05)
            except Empty:
                msg = None
            if msg is not None and msg["parent_header"].get("msg_id") == msg_id:
                msg["_at"] = time.monotonic()
                msgs.append(msg)
            if reply is None:
                try:
                    r = self.kc.get_shell_msg(timeout=0.0001)
                    if r["parent_header"].get("msg_id") == msg_id:
                        reply = r
                        reply["_at"] = time.monotonic()
                except Empty:
                    pass
            if msgs and msgs[-1]["msg_type"] == "status" and msgs[-1]["content"]["execution_state"] == "idle":
                if reply is None:
                    reply = self.reply(msg_id)
                    reply["_at"] = time.monotonic()
                validate_message(reply, "execute_reply", msg_id)
                return reply, msgs

    @staticmethod
    def stream(msgs, name="stdout"):
        return "".join(m["content"]["text"] for m in msgs
                       if m["msg_type"] == "stream" and m["content"]["name"] == name)

    def complete(self, code, cursor=None):
        msg_id = self.kc.complete(code, cursor_pos=len(code) if cursor is None else cursor)
        reply = self.reply(msg_id)
        validate_message(reply, "complete_reply", msg_id)
        return reply["content"]

    def inspect(self, code, cursor):
        msg_id = self.kc.inspect(code, cursor_pos=cursor)
        reply = self.reply(msg_id)
        validate_message(reply, "inspect_reply", msg_id)
        return reply["content"]


class Completion(KernelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        msg_id = cls.kc.execute("var mu sync.Mutex\n// Greet says hello to name.\nfunc Greet(name string) string { return \"hi \" + name }")
        cls.kc.get_shell_msg(timeout=TIMEOUT)

    def test_package_members_exact(self):
        c = self.complete("fmt.Pri")
        self.assertEqual(set(c["matches"]), {"Print", "Printf", "Println"})
        self.assertEqual((c["cursor_start"], c["cursor_end"]), (4, 7))

    def test_mutex_of_an_earlier_cell_exact(self):
        c = self.complete("mu.")
        self.assertEqual(set(c["matches"]), {"Lock", "TryLock", "Unlock"})

    def test_waitgroup_declared_in_this_cell_exact(self):
        code = "var wg sync.WaitGroup\nwg."
        c = self.complete(code)
        self.assertEqual(set(c["matches"]), {"Add", "Done", "Go", "Wait"})
        self.assertEqual((c["cursor_start"], c["cursor_end"]), (len(code), len(code)))

    def test_short_var_declaration_being_typed(self):
        c = self.complete("wg := &sync.WaitGroup{}\nwg.Wa")
        self.assertEqual(c["matches"], ["Wait"])

    def test_earlier_declaration_keyword_builtin(self):
        self.assertIn("Greet", self.complete("Gre")["matches"])
        self.assertIn("func", self.complete("fu")["matches"])
        self.assertIn("append", self.complete("x := app")["matches"])

    def test_unicode_cursor_offsets(self):
        # Offsets count code points (runes), not bytes or UTF-16 units.
        code = "s := \"héllo→世界\"; fmt.Sp"
        c = self.complete(code)
        self.assertIn("Sprintf", c["matches"])
        self.assertEqual((c["cursor_start"], c["cursor_end"]), (len(code) - 2, len(code)))

    def test_inspect_std(self):
        r = self.inspect("fmt.Println", 6)
        self.assertTrue(r["found"])
        text = r["data"]["text/plain"]
        self.assertTrue(text.startswith("func Println(a ...any) (n int, err error)\n"), text)
        self.assertIn("Println formats using the default formats", text)

    def test_inspect_own_declaration(self):
        r = self.inspect("Greet(\"x\")", 2)
        self.assertTrue(r["found"])
        self.assertEqual(r["data"]["text/plain"], "Greet says hello to name.\nfunc Greet(name string) string\n")

    def test_pager_payload_exact(self):
        for code in ("fmt.Println?", "?fmt.Println"):
            with self.subTest(code=code):
                reply, _ = self.execute(code)
                self.assertEqual(reply["content"]["status"], "ok")
                payload = reply["content"]["payload"]
                self.assertEqual(len(payload), 1)
                self.assertEqual(set(payload[0]), {"source", "data", "start"})
                self.assertEqual(payload[0]["source"], "page")
                self.assertEqual(payload[0]["start"], 0)
                self.assertTrue(payload[0]["data"]["text/plain"].startswith("func Println(a ...any) (n int, err error)\n"))

    def test_doc_magic(self):
        reply, msgs = self.execute("%doc strings.Cut")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertIn("func Cut(s, sep string) (before, after string, found bool)", self.stream(msgs))

    def test_completion_while_a_cell_sleeps(self):
        running = self.kc.execute("time.Sleep(10*time.Second)")
        time.sleep(1.0)
        t0 = time.monotonic()
        c = self.complete("mu.")
        took = time.monotonic() - t0
        self.assertEqual(set(c["matches"]), {"Lock", "TryLock", "Unlock"})
        self.assertLess(took, 1.0, f"complete_reply took {took:.2f} s while a cell ran")
        self.km.interrupt_kernel()
        self.reply(running, timeout=15)


class Magics(KernelCase):
    def test_lsmagic_lists_all(self):
        reply, msgs = self.execute("%lsmagic")
        text = self.stream(msgs)
        for usage in ("%who", "%reset", "%env", "%cd", "%%writefile", "!COMMAND",
                      "%%bash", "%%sh", "%%python3", "%go get", "%doc", "%help", "%race", "%timeout"):
            self.assertIn(usage, text)

    def test_who_and_reset(self):
        self.execute("var Remembered = 1\nfunc Other() {}")
        _, msgs = self.execute("%who")
        self.assertIn("Remembered", self.stream(msgs))
        _, msgs = self.execute("%reset Remembered")
        self.assertEqual(self.stream(msgs), "Forgot Remembered.\n")
        _, msgs = self.execute("%who")
        self.assertNotIn("Remembered", self.stream(msgs))
        self.assertIn("Other", self.stream(msgs))

    def test_env_cd_writefile_shell(self):
        d = "/tmp/gokernel-smarts-" + uuid.uuid4().hex[:8]
        os.mkdir(d)
        _, msgs = self.execute("!pwd")
        before = self.stream(msgs).strip()
        try:
            reply, msgs = self.execute("%env SMARTS_GREETING=bonjour")
            self.assertEqual(self.stream(msgs), "env: SMARTS_GREETING=bonjour\n")
            _, msgs = self.execute(f"%cd {d}")
            self.assertEqual(self.stream(msgs), d + "\n")
            reply, msgs = self.execute("%%writefile hello.txt\nfrom a cell\n")
            self.assertEqual(reply["content"]["status"], "ok")
            with open(os.path.join(d, "hello.txt")) as f:
                self.assertEqual(f.read(), "from a cell\n")
            _, msgs = self.execute("!cat hello.txt\n!echo $SMARTS_GREETING\nfmt.Println(os.Getenv(\"SMARTS_GREETING\"))")
            self.assertEqual(self.stream(msgs), "from a cell\nbonjour\nbonjour\n")
            _, msgs = self.execute("!exit 3")
            self.assertIn("exit status 3", self.stream(msgs, "stderr"))
        finally:
            self.execute(f"%cd {before}")  # later tests run in the kernel's own directory
            shutil.rmtree(d)

    def test_unknown_magic_names_closest(self):
        reply, msgs = self.execute("%%bsh\necho hi")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("did you mean %%bash?", reply["content"]["evalue"] + " ".join(reply["content"]["traceback"]))

    def test_bash_streams_and_interrupts(self):
        msg_id = self.kc.execute("%%bash\necho started\nsleep 300")
        t0 = time.monotonic()
        while True:
            m = self.kc.get_iopub_msg(timeout=TIMEOUT)
            if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "stream":
                self.assertEqual(m["content"]["text"], "started\n")
                break
        self.km.interrupt_kernel()
        reply = self.reply(msg_id, timeout=15)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        self.assertLess(time.monotonic() - t0, 10)

    @unittest.skipUnless(shutil.which("python3"), "no python3 on PATH")
    def test_python3_runs_the_article_example(self):
        reply, msgs = self.execute("%%python3\n" + ARTICLE_THREADS)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        text = self.stream(msgs)
        self.assertEqual(text.count("Hello World!"), 10, text)
        self.assertEqual(text.count("\n"), 10, text)

    @unittest.skipUnless(shutil.which("python3"), "no python3 on PATH")
    def test_python3_streams(self):
        reply, msgs = self.execute("%%python3\n" + ARTICLE_THREADS_SLOW)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        streams = [m for m in msgs if m["msg_type"] == "stream"]
        # Two threads printing at once may interleave "Hello World!" and its newline
        # (print writes them separately: the article's reason for a lock).
        text = "".join(m["content"]["text"] for m in streams)
        self.assertEqual(text.count("Hello World!"), 10, text)
        self.assertEqual(text.count("\n"), 10, text)
        # Five rounds of 0.3 s: the first lines arrive long before the end.
        self.assertGreater(reply["_at"] - streams[0]["_at"], 0.8,
                           "the output arrived all at once at the end, not streamed")


class History(unittest.TestCase):
    def test_history_survives_restart(self):
        marker = "histmarker_" + uuid.uuid4().hex[:8]
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)
        try:
            msg_id = kc.execute(f"{marker} := 6 * 7\nfmt.Println({marker})")
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            self.assertEqual(reply["content"]["status"], "ok")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT)
        try:
            msg_id = kc.history(hist_access_type="search", pattern=f"*{marker}*", raw=True, output=False)
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            validate_message(reply, "history_reply", msg_id)
            inputs = [h[2] for h in reply["content"]["history"]]
            self.assertIn(f"{marker} := 6 * 7\nfmt.Println({marker})", inputs)
            msg_id = kc.history(hist_access_type="tail", n=5, raw=True, output=False)
            reply = kc.get_shell_msg(timeout=TIMEOUT)
            self.assertIn(f"{marker} := 6 * 7\nfmt.Println({marker})", [h[2] for h in reply["content"]["history"]])
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=False)


ERRGROUP_CELL = """import "golang.org/x/sync/errgroup"

var g errgroup.Group
for i := range 3 {
	g.Go(func() error { time.Sleep(time.Duration(i) * time.Millisecond); return nil })
}
fmt.Println("errgroup:", g.Wait())
"""


class Modules(KernelCase):
    """A module beyond the standard library: fetched once through the proxy, then reused."""

    def test_errgroup_fetched_then_reused_and_pinned(self):
        reply, msgs = self.execute(ERRGROUP_CELL, timeout=300)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        self.assertEqual(self.stream(msgs), "errgroup: <nil>\n")
        self.assertIn("fetching the module of golang.org/x/sync/errgroup", self.stream(msgs, "stderr"))
        # The import is remembered and the module recorded: no second fetch.
        reply, msgs = self.execute("var g2 errgroup.Group\ng2.Go(func() error { return nil })\nfmt.Println(g2.Wait())")
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        self.assertEqual(self.stream(msgs), "<nil>\n")
        self.assertNotIn("fetching", self.stream(msgs, "stderr"))
        # Completion and inspection know the package now.
        self.assertEqual(set(self.complete("errgroup.")["matches"]), {"Group", "WithContext"})
        self.assertEqual(set(self.complete("g.")["matches"]), {"Go", "SetLimit", "TryGo", "Wait"})
        r = self.inspect("errgroup.WithContext", 12)
        self.assertTrue(r["data"]["text/plain"].startswith(
            "func WithContext(ctx context.Context) (*Group, context.Context)\n"), r)
        reply, msgs = self.execute("%go get golang.org/x/sync@v0.24.0\n%go list -m golang.org/x/sync")
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        self.assertIn("golang.org/x/sync v0.24.0", self.stream(msgs, "stderr"))


class Offline(unittest.TestCase):
    def test_goproxy_off_fails_clearly(self):
        import tempfile
        with tempfile.TemporaryDirectory() as empty_cache:
            env = dict(os.environ, GOPROXY="off", GOMODCACHE=empty_cache)
            km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=TIMEOUT, env=env)
            try:
                msg_id = kc.execute(ERRGROUP_CELL)
                reply = kc.get_shell_msg(timeout=TIMEOUT)
                while reply["parent_header"].get("msg_id") != msg_id:
                    reply = kc.get_shell_msg(timeout=TIMEOUT)
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=False)
        c = reply["content"]
        self.assertEqual(c["status"], "error")
        self.assertEqual(c["ename"], "ModuleNotFound")
        self.assertEqual(c["evalue"], "could not fetch the module of golang.org/x/sync/errgroup")
        tb = "\n".join(c["traceback"])
        for hint in ("GOPROXY=off", "%go get MODULE@VERSION", "GOFLAGS=-mod=mod"):
            self.assertIn(hint, tb)
