#!/usr/bin/python3
"""Type cells into the full `jupyter console` (prompt_toolkit UI) inside tmux.

Usage: console_tmux.py --kernel NAME --cells FILE --socket PATH [--out FILE]
                       [--timeout S] [--expect TEXT]...

FILE holds cells separated by lines that are exactly '%%'. Each line of a cell is
typed and followed by Enter, the way a person types. On Enter the console asks the
kernel is_complete_request about the whole buffer: "incomplete" opens a new line
with the kernel's indent (leading whitespace of the typed line is dropped, the
kernel's indent replaces it), "complete" runs the cell. So a multi-line cell only
runs as one cell when the kernel answers is_complete right.

The tmux server runs on its own socket (--socket) so nothing else's tmux is touched;
the caller kills it. Exit 0 ok, 1 an --expect text missing or a console warning,
2 no prompt in time. The transcript is printed and written to --out.
"""
import argparse
import re
import subprocess
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--kernel", required=True)
ap.add_argument("--cells", required=True)
ap.add_argument("--socket", required=True)
ap.add_argument("--out", default="console_transcript.txt")
ap.add_argument("--timeout", type=float, default=60)
ap.add_argument("--expect", action="append", default=[])
a = ap.parse_args()

with open(a.cells, encoding="utf-8") as f:
    # A cell keeps its inner blank lines (Python needs one to end a block); only the
    # newline before each '%%' separator is dropped.
    cells = [c.removesuffix("\n") for c in re.split(r"(?m)^%%[ \t]*\n", f.read()) if c.strip()]

SESSION = "console"
PROMPT = re.compile(r"(?m)^In \[\d+\]:")
# Messages jupyter_console prints when the kernel gets is_complete wrong or slow.
WARNINGS = ("did not respond to an is_complete_request", "invalid is_complete_reply",
            "did not respond properly")


def tmux(*args):
    return subprocess.run(["tmux", "-S", a.socket, *args], check=False, text=True,
                          capture_output=True).stdout


def screen():
    return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", SESSION)


def prompts():
    return len(PROMPT.findall(screen()))


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


cmd = (f"/usr/bin/python3 -m jupyter_console --kernel '{a.kernel}' --no-confirm-exit"
       " --ZMQTerminalInteractiveShell.kernel_is_complete_timeout=5; sleep 2")

# jupyter console 6.4 runs the client's coroutines in nested event loops (nest_asyncio);
# now and then one of its callbacks re-enters a running context and prompt_toolkit prints
# this, then waits for Enter, eating keys typed meanwhile. It is the client's own bug
# (jupyter_client issue 927 shows it with other kernels too), so a session that hits it is
# run once more from a fresh console; the kernel's answers must still be right there.
CLIENT_GLITCH = "cannot enter context"


def settle(quiet=0.3, timeout=5):
    """Wait until the screen has not changed for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    last, since = screen(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = screen()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def session():
    """One console from start to Ctrl-D: (exit code, problems, transcript)."""
    tmux("new-session", "-d", "-s", SESSION, "-x", "200", "-y", "50", cmd)
    tmux("set-option", "-t", SESSION, "history-limit", "100000")
    rc, problems = 0, []
    try:
        if not wait_for(lambda: prompts() >= 1, a.timeout):
            problems.append(f"no first prompt within {a.timeout} s")
            rc = 2
        for n, cell in enumerate(cells if rc == 0 else [], start=1):
            # A person types at a prompt that has finished drawing.
            settle()
            lines = cell.split("\n")
            for i, line in enumerate(lines):
                if line.strip():
                    tmux("send-keys", "-t", SESSION, "-l", "--", line.lstrip() if i else line)
                before = screen()
                tmux("send-keys", "-t", SESSION, "Enter")
                if i < len(lines) - 1:
                    # The console asks is_complete before it opens the next line: wait for
                    # the screen to change so the next keys land on the continuation line.
                    wait_for(lambda: screen() != before, 5)
                    if prompts() > n:
                        problems.append(f"cell {n}: ran after line {i + 1} of {len(lines)}: the "
                                        f"kernel said complete for an unfinished cell")
                        rc = 1
            if not wait_for(lambda: prompts() > n, a.timeout):
                problems.append(f"cell {n}: no new prompt within {a.timeout} s")
                rc = 2
                break
        transcript = re.sub(r"\n\s*\Z", "\n", screen())
        for e in a.expect:
            if e not in transcript:
                problems.append(f"EXPECT FAILED: {e!r} not in the transcript")
                rc = rc or 1
        for w in WARNINGS:
            if w in transcript:
                problems.append(f"console warning in the transcript: {w!r}")
                rc = rc or 1
        return rc, problems, transcript
    finally:
        tmux("send-keys", "-t", SESSION, "C-d")
        time.sleep(0.5)
        tmux("kill-server")


rc, problems, transcript = session()
if rc != 0 and CLIENT_GLITCH in transcript:
    print(f"jupyter console hit its own event-loop error ({CLIENT_GLITCH!r}); first try:\n"
          + transcript + "\n".join(problems) + "\nrunning the cells once more in a fresh console",
          file=sys.stderr)
    rc, problems, transcript = session()
with open(a.out, "w", encoding="utf-8") as f:
    f.write(transcript)
print(transcript)
for p in problems:
    print(p, file=sys.stderr)
sys.exit(rc)
