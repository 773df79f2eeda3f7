"""Time Run All of a notebook through nbclient (bench figure 13).

Run by `gokernel bench` with Debian's /usr/bin/python3, once per measured
run: nbclient starts the kernel named on the command line, sends the code
cells one at a time (each after the previous one's reply, as nbclient does
for `jupyter nbconvert --execute`, papermill and graders) and shuts the
kernel down. The wall time runs from just before the kernel starts to the
end of its shutdown, as `client.execute()` does.

Prints one JSON object: wall_ms; its parts as nbclient spends them:
start_ms (starting the kernel process and jupyter_client's wait_for_ready),
cells_ms (from the first cell's request to the last cell's idle) and
stop_ms (shutdown_kernel: jupyter_client asks, then checks every 100 ms
whether the process has exited); and each code cell's outcome ("ok" or the
error name) so the caller can check that two ways of running gave the same.

usage: nbclient_runall.py NOTEBOOK KERNEL_NAME
"""

import json
import sys
import time

import nbformat
from nbclient import NotebookClient


class TimedClient(NotebookClient):
    """A NotebookClient that notes when each of its phases starts and ends."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spans = {}

    def _span(self, name, start):
        first, _ = self.spans.get(name, (start, None))
        self.spans[name] = (first, time.monotonic())

    async def async_start_new_kernel(self, **kwargs):
        start = time.monotonic()
        try:
            return await super().async_start_new_kernel(**kwargs)
        finally:
            self._span("start", start)

    async def async_start_new_kernel_client(self):
        start = time.monotonic()
        try:
            return await super().async_start_new_kernel_client()
        finally:
            self._span("start", start)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        start = time.monotonic()
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            self._span("cells", start)

    async def _async_cleanup_kernel(self):
        start = time.monotonic()
        try:
            return await super()._async_cleanup_kernel()
        finally:
            self._span("stop", start)


def main():
    path, kernel_name = sys.argv[1], sys.argv[2]
    nb = nbformat.read(path, as_version=4)
    client = TimedClient(nb, kernel_name=kernel_name, timeout=300, allow_errors=True)
    t0 = time.monotonic()
    client.execute()
    wall = time.monotonic() - t0
    outcomes = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        errors = [o.get("ename", "error") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        outcomes.append(errors[0] if errors else "ok")
    parts = {name + "_ms": (end - start) * 1000 for name, (start, end) in client.spans.items()}
    print(json.dumps({"wall_ms": wall * 1000, **parts, "outcomes": outcomes}))


if __name__ == "__main__":
    main()
