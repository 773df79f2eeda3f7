#!/usr/bin/python3
"""Runs notebooks with nbclient, the reference the JupyterLab test compares its cells with.

Usage: nbclient_ref.py --kernel NAME --out DIR NOTEBOOK...

Each NOTEBOOK (a path relative to the current directory) is executed in its own directory,
all cells, errors allowed (a failing cell is compared like any other), and written to
DIR/NOTEBOOK. One JSON line per notebook says how long the cells took, from the first
execute request to the last cell's reply, the kernel already started: the nbclient half of
the Run All figure (lab_ui.js measures the JupyterLab half).
"""
import argparse
import json
import os
import time

import nbformat
from nbclient import NotebookClient


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=300)
    ap.add_argument("notebooks", nargs="+")
    a = ap.parse_args()
    for path in a.notebooks:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, kernel_name=a.kernel, timeout=a.timeout, startup_timeout=60,
                                allow_errors=True,
                                resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
        with client.setup_kernel():
            start = time.monotonic()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            seconds = time.monotonic() - start
        out = os.path.join(a.out, path)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        nbformat.write(nb, out)
        print(json.dumps({"notebook": path, "seconds": round(seconds, 3), "out": out}), flush=True)


if __name__ == "__main__":
    main()
