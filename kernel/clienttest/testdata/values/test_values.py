"""Values carried over between cells (issue 12), through jupyter_client.

Run by kernel/clienttest (TestValues); by hand, with gokernel installed:

    KERNEL_NAME=gokernel /usr/bin/python3 -m pytest -v test_values.py

Every rule of the issue gets cells whose outputs are checked exactly: a counter, unexported
fields, pointer aliasing, shared slices and interior pointers, failed and interrupted cells
changing nothing, uncarriable values (a channel, a func, a context) named where they are used,
sentinel errors still themselves, initializers not re-run, a
redefined type, %who (the cell that made a value, the last that changed it), %reset, and
completion and inspection of kept values.
The kernel is interrupted the way Jupyter does it, with the interrupt_mode of its kernel.json.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "smarts"))
from test_smarts import KernelCase  # noqa: E402  (the shared execute/reply helpers)


class Values(KernelCase):
    def run_ok(self, code):
        reply, msgs = self.execute(code)
        self.assertEqual(reply["content"]["status"], "ok",
                         f"{code!r}: {reply['content']} stderr={self.stream(msgs, 'stderr')!r}")
        return msgs

    def run_err(self, code):
        reply, msgs = self.execute(code)
        self.assertEqual(reply["content"]["status"], "error", f"{code!r} should fail")
        return reply["content"], msgs

    def out(self, code):
        return self.stream(self.run_ok(code))

    def test_counter(self):
        self.run_ok("hits := 0")
        self.run_ok("hits++")
        self.run_ok("hits++")
        self.assertEqual(self.out("fmt.Println(hits)"), "2\n")

    def test_unexported_fields(self):
        self.run_ok("type account struct {\n\towner string\n\tcents int\n}")
        self.run_ok("acct := account{owner: \"ana\", cents: 250}")
        self.run_ok("acct.cents += 50")
        self.assertEqual(self.out("fmt.Printf(\"%+v\\n\", acct)"), "{owner:ana cents:300}\n")

    def test_pointer_aliasing(self):
        self.run_ok("type box struct{ v int }\nboxA := &box{v: 1}\nboxB := boxA")
        self.run_ok("boxB.v = 42")
        self.assertEqual(self.out("fmt.Println(boxA.v, boxA == boxB)"), "42 true\n")

    def test_shared_slices_and_interior_pointers(self):
        # As in one go run: a slice of a slice shares its array (append within capacity too),
        # a pointer into an array or a struct field points there, cells later.
        self.run_ok("nums := []int{1, 2, 3, 4}\nmid := nums[1:3]\ntype tally struct{ name string; total int }\n"
                    "tl := tally{name: \"t\"}\ntotalp := &tl.total\nslots := [3]int{}\nslotp := &slots[2]")
        self.run_ok("mid[0] = 9\nmid = append(mid, 7)\n*totalp = 5\n*slotp = 8")
        self.assertEqual(self.out("fmt.Println(nums, cap(mid), tl.total, slots, totalp == &tl.total, slotp == &slots[2])"),
                         "[1 9 3 7] 3 5 [0 0 8] true true\n")

    def test_panicking_cell_changes_nothing(self):
        self.run_ok("balance := 100")
        content, _ = self.run_err("balance = -1\npanic(\"bank closed\")")
        self.assertIn("bank closed", content["evalue"] + "\n".join(content["traceback"]))
        self.assertEqual(self.out("fmt.Println(balance)"), "100\n")

    def test_compile_error_changes_nothing(self):
        self.run_ok("stock := 7")
        content, _ = self.run_err("stock = 0\nundefinedThing()")
        self.assertEqual(content["ename"], "CompileError")
        self.assertEqual(self.out("fmt.Println(stock)"), "7\n")

    def test_deadlocked_cell_changes_nothing(self):
        self.run_ok("level := 3")
        self.run_err("level = 99\nvar block chan int\n<-block")
        self.assertEqual(self.out("fmt.Println(level)"), "3\n")

    def test_interrupted_cell_changes_nothing(self):
        self.run_ok("ticks := 5")
        msg_id = self.kc.execute("ticks = 1000\nfor {\n\tfmt.Println(\"spinning\")\n\ttime.Sleep(100 * time.Millisecond)\n}")
        deadline = time.monotonic() + 30
        seen = ""
        while "spinning" not in seen:
            self.assertLess(time.monotonic(), deadline, "the loop cell never printed")
            msg = self.kc.get_iopub_msg(timeout=30)
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream":
                seen += msg["content"]["text"]
        self.km.interrupt_kernel()
        reply = self.reply(msg_id, timeout=30)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertIn("nterrupt", reply["content"]["ename"] + reply["content"]["evalue"])
        self.assertEqual(self.out("fmt.Println(ticks)"), "5\n")

    def test_failed_cell_keeps_none_of_its_new_variables(self):
        content, _ = self.run_err("fresh := 1\npanic(\"no\")")
        self.assertEqual(content["ename"], "panic")
        content, _ = self.run_err("fmt.Println(fresh)")
        self.assertEqual(content["ename"], "CompileError")
        self.assertNotIn("did not carry over", "\n".join(content["traceback"]))

    def test_locked_var_mutex_noted_where_used(self):
        reply, _ = self.execute("var gate sync.Mutex\ngate.Lock()")
        self.assertEqual(reply["content"]["status"], "ok")
        cell = reply["content"]["execution_count"]
        reply, msgs = self.execute("fmt.Println(gate.TryLock())")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(self.stream(msgs), "true\n")
        notes = self.stream(msgs) + self.stream(msgs, "stderr")
        self.assertIn(f"note: gate of cell [{cell}] did not carry over (it is locked;", notes)
        self.assertIn("it starts again from its declaration here", notes)

    def test_uncarriable_channel_named(self):
        self.run_ok("pipe := make(chan int, 1)\npipe <- 1")
        content, _ = self.run_err("fmt.Println(len(pipe))")
        self.assertEqual(content["ename"], "CompileError")
        hints = [l for l in content["traceback"] if "pipe" in l and "did not carry over" in l]
        self.assertEqual(len(hints), 1, content["traceback"])
        self.assertIn("hint: pipe (chan int) of cell [", hints[0])

    def test_uncarriable_func_named(self):
        self.run_ok("greet := func() string { return \"hi\" }\n_ = greet")
        content, _ = self.run_err("fmt.Println(greet())")
        self.assertEqual(content["ename"], "CompileError")
        hints = [l for l in content["traceback"] if "did not carry over" in l]
        self.assertEqual(len(hints), 1, content["traceback"])
        self.assertIn("hint: greet (func() string) of cell [", hints[0])

    def test_context_named_and_made_anew(self):
        # A context belongs to the program that made it: named where a later cell uses it, and a
        # cell that makes a new one under the same name runs (lesson 7 does, cell after cell).
        self.run_ok("reqCtx, reqCancel := context.WithCancel(context.Background())\ndefer reqCancel()\n_ = reqCtx")
        content, _ = self.run_err("fmt.Println(reqCtx.Err())")
        self.assertEqual(content["ename"], "CompileError")
        text = "\n".join(content["traceback"]).replace("\n      ", " ")
        self.assertIn("hint: reqCtx (context.Context) of cell [", text)
        self.assertIn("a context belongs to the program that made it", text)
        self.assertEqual(self.out("reqCtx, reqCancel := context.WithTimeout(context.Background(), time.Minute)\n"
                                  "defer reqCancel()\nfmt.Println(reqCtx.Err())"), "<nil>\n")

    def test_sentinel_errors_stay_themselves(self):
        # errors.Is and == in a later cell say what they say in one program.
        self.run_ok("_, parseErr := strconv.Atoi(\"x\")\nreadErr := fmt.Errorf(\"reading: %w\", io.EOF)\n"
                    "waitCtx, waitCancel := context.WithTimeout(context.Background(), time.Millisecond)\n"
                    "<-waitCtx.Done()\nwaitErr := waitCtx.Err()\nwaitCancel()")
        self.assertEqual(self.out("fmt.Println(errors.Is(parseErr, strconv.ErrSyntax), errors.Is(readErr, io.EOF), "
                                  "waitErr == context.DeadlineExceeded)"), "true true true\n")

    def test_initializer_not_rerun(self):
        self.run_ok("func load() int { fmt.Println(\"loading\"); return 41 }")
        self.assertEqual(self.out("data := load()"), "loading\n")
        self.assertEqual(self.out("fmt.Println(data + 1)"), "42\n")
        self.assertEqual(self.out("var loaded = load()\nfmt.Println(loaded)"), "loading\n41\n")
        self.assertEqual(self.out("fmt.Println(loaded)"), "41\n")

    def test_later_func_sees_kept_value(self):
        self.run_ok("greeting := \"hej\"")
        self.run_ok("func greetTwice() string { return greeting + greeting }")
        self.assertEqual(self.out("fmt.Println(greetTwice())"), "hejhej\n")

    def test_type_redefinition_drops_value(self):
        self.run_ok("type ledger struct{ n int }\nbook := ledger{n: 3}")
        self.assertEqual(self.out("fmt.Println(book.n)"), "3\n")
        reply, msgs = self.execute("type ledger struct{ n, m int }")
        self.assertEqual(reply["content"]["status"], "ok")
        cell = reply["content"]["execution_count"]
        self.assertIn(f"note: the kept value of book is dropped: its type ledger was redefined in cell [{cell}]",
                      self.stream(msgs, "stderr"))
        content, _ = self.run_err("fmt.Println(book.n)")
        self.assertEqual(content["ename"], "CompileError")

    def test_who_and_reset_one(self):
        reply, _ = self.execute("whoCount := 11\nwhoName := \"w\"")
        cell = reply["content"]["execution_count"]
        who = self.out("%who")
        self.assertIn("Kept values (", who)
        self.assertIn(f"value whoCount int cell [{cell}]", " ".join(who.split()))
        self.assertIn(f"value whoName string cell [{cell}]", " ".join(who.split()))
        self.run_ok("%reset whoCount")
        who = self.out("%who")
        self.assertNotIn("whoCount", who)
        self.assertIn("whoName", who)
        content, _ = self.run_err("fmt.Println(whoCount)")
        self.assertEqual(content["ename"], "CompileError")
        self.assertEqual(self.out("fmt.Println(whoName)"), "w\n")

    def test_who_names_the_cell_that_made_a_value_and_the_last_that_changed_it(self):
        reply, _ = self.execute("madeCount := 1\ntype madeTally struct{ madeCount int }")
        made = reply["content"]["execution_count"]
        reply, _ = self.execute("madeCount += 1")
        changed = reply["content"]["execution_count"]
        # Reading the value, or a field called like it, changes nothing.
        self.assertEqual(self.out("fmt.Println(madeCount * 10, madeTally{madeCount: 5}.madeCount)"), "20 5\n")
        who = " ".join(self.out("%who").split())
        self.assertIn(f"value madeCount int cell [{made}] changed in cell [{changed}]", who)

    def test_kept_values_complete_and_inspect(self):
        # A kept value is an ordinary variable of later cells: Tab offers it and its members,
        # Shift+Tab tells its type and the cell that made it.
        reply, _ = self.execute("type vault struct{ gold int }\n\nfunc (v *vault) Add(n int) { v.gold += n }\n"
                                "myVault := &vault{gold: 3}")
        made = reply["content"]["execution_count"]
        self.assertIn("myVault", self.complete("myVa")["matches"])
        members = self.complete("myVault.")["matches"]
        self.assertIn("gold", members)
        self.assertIn("Add", members)
        found = self.inspect("myVault", 3)
        self.assertTrue(found["found"], found)
        self.assertIn(f"myVault *vault\n\nkept from cell [{made}]", found["data"]["text/plain"])
        found = self.inspect("myVault.Add(", 12)
        self.assertTrue(found["found"], found)
        self.assertIn("func (v *vault) Add(n int)", found["data"]["text/plain"])


class ResetAll(KernelCase):
    def test_reset_forgets_all(self):
        for code in ("first := 1", "second := 2"):
            reply, _ = self.execute(code)
            self.assertEqual(reply["content"]["status"], "ok")
        reply, msgs = self.execute("%reset")
        self.assertEqual(reply["content"]["status"], "ok")
        _, msgs = self.execute("%who")
        self.assertNotIn("first", self.stream(msgs))
        for code in ("fmt.Println(first)", "fmt.Println(second)"):
            reply, _ = self.execute(code)
            self.assertEqual(reply["content"]["status"], "error", code)
            self.assertEqual(reply["content"]["ename"], "CompileError")
        _, msgs = self.execute("first := 5\nfmt.Println(first)")
        self.assertEqual(self.stream(msgs), "5\n")
