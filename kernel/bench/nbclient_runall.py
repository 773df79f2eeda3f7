"""Time Run All of a notebook through nbclient (bench figure 13).

Run by `gokernel bench` with Debian's /usr/bin/python3, once per measured
run: nbclient starts the kernel named on the command line, sends the code
cells one at a time (each after the previous one's reply, as nbclient does
for `jupyter nbconvert --execute`, papermill and graders) and shuts the
kernel down. The wall time runs from just before the kernel starts to the
last cell's reply, so it includes the kernel's start-up.

Prints one JSON object: wall_ms, and each code cell's outcome ("ok" or the
error name) so the caller can check that two ways of running gave the same.

usage: nbclient_runall.py NOTEBOOK KERNEL_NAME
"""

import json
import sys
import time

import nbformat
from nbclient import NotebookClient


def main():
    path, kernel_name = sys.argv[1], sys.argv[2]
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=300, allow_errors=True)
    t0 = time.monotonic()
    client.execute()
    wall = time.monotonic() - t0
    outcomes = []
    for cell in nb.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        errors = [o.get("ename", "error") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        outcomes.append(errors[0] if errors else "ok")
    print(json.dumps({"wall_ms": wall * 1000, "outcomes": outcomes}))


if __name__ == "__main__":
    main()
