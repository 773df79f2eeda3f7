#!/usr/bin/python3
"""Write a notebook from a JSON list of cells, each with what its outputs must be.

Usage: make_notebook.py SPEC.json OUT.ipynb --kernel NAME [--language LANG]

SPEC.json: [{"markdown": "# text"},
            {"source": "code", "expect": {...}, "timeout": 5, "tags": ["raises-exception"]}, ...]
"expect" goes to cell.metadata.clienttest.expect and is checked by nb_check.py:
  stdout, stderr          exact stream text            result   exact text/plain of execute_result
  stdout_contains         substring of stdout          mime     a MIME type some output carries
  error                   ename of the error, "*" for any ename (absent: the cell must not fail)
  no_output: true         the cell shows nothing
"timeout" goes to cell.metadata.clienttest.timeout (seconds, for nb_check.py --execute).
"""
import argparse
import json

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ap = argparse.ArgumentParser()
ap.add_argument("spec")
ap.add_argument("out")
ap.add_argument("--kernel", required=True)
ap.add_argument("--language", default="")
a = ap.parse_args()

with open(a.spec, encoding="utf-8") as f:
    spec = json.load(f)
cells = []
for c in spec:
    if "markdown" in c:
        cells.append(new_markdown_cell(c["markdown"]))
        continue
    cell = new_code_cell(c["source"])
    meta = {k: c[k] for k in ("expect", "timeout") if k in c}
    if meta:
        cell.metadata["clienttest"] = meta
    if c.get("tags"):
        cell.metadata["tags"] = c["tags"]
    cells.append(cell)
nb = new_notebook(cells=cells, metadata={
    "kernelspec": {"name": a.kernel, "display_name": a.kernel, "language": a.language},
    "language_info": {"name": a.language}})
nbformat.validate(nb)
nbformat.write(nb, a.out)
print(f"wrote {a.out}: {len(cells)} cells for kernel {a.kernel}")
