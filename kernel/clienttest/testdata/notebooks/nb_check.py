#!/usr/bin/python3
"""Execute a notebook with nbclient (optional) and check every code cell's outputs.

Usage: nb_check.py NOTEBOOK [--execute --kernel NAME [--timeout S] [--out OUT.ipynb]]

Checks, for every code cell:
  - cells with metadata.clienttest.expect (make_notebook.py) match it exactly;
  - other cells: an error output is allowed only when the cell is tagged
    raises-exception (the nbclient/nbconvert rule, checked here too so a notebook run
    with --allow-errors reports every failing cell, not just the first); a cell tagged
    raises-exception must fail (issue 7: a lesson's deliberate deadlock, race or panic);
  - the notebook is valid nbformat after execution.
Prints one line per code cell and "N cells ok, N failed"; exit 0 when all are ok,
1 when a check failed, 2 when execution itself failed (timeout, dead kernel).
"""
import argparse
import sys
import time

import nbformat


def summary(cell):
    got = {"stdout": "", "stderr": "", "result": None, "mimes": set(), "error": None, "evalue": ""}
    for o in cell.get("outputs", []):
        kind = o["output_type"]
        if kind == "stream":
            got[o["name"]] += o["text"]
        elif kind in ("execute_result", "display_data"):
            got["mimes"].update(o["data"].keys())
            if kind == "execute_result":
                got["result"] = o["data"].get("text/plain")
        elif kind == "error":
            got["error"] = o["ename"]
            got["evalue"] = o.get("evalue", "")
    return got


def problems(cell):
    got, exp = summary(cell), cell.metadata.get("clienttest", {}).get("expect")
    tagged = "raises-exception" in cell.metadata.get("tags", [])
    if exp is None:
        if got["error"] and not tagged:
            return [f"unexpected error {got['error']}: {got['evalue'][:300]}"]
        if tagged and not got["error"]:
            return ["tagged raises-exception but did not fail"]
        return []
    errs = []
    for k in ("stdout", "stderr", "result"):
        if k in exp and got[k] != exp[k]:
            errs.append(f"{k}: have {got[k]!r}, want {exp[k]!r}")
    if "stdout_contains" in exp and exp["stdout_contains"] not in got["stdout"]:
        errs.append(f"stdout {got['stdout']!r} does not contain {exp['stdout_contains']!r}")
    if "mime" in exp and exp["mime"] not in got["mimes"]:
        errs.append(f"no {exp['mime']} output among {sorted(got['mimes'])}")
    want_err = exp.get("error")
    if want_err == "*":
        if not got["error"]:
            errs.append("the cell should fail and did not")
    elif want_err != got["error"]:
        errs.append(f"error: have {got['error']!r}, want {want_err!r}")
    if exp.get("no_output") and cell.get("outputs"):
        errs.append(f"want no outputs, have {len(cell['outputs'])}")
    return errs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("--execute", action="store_true")
    ap.add_argument("--kernel")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--out")
    a = ap.parse_args()

    nb = nbformat.read(a.notebook, as_version=4)
    rc = 0
    if a.execute:
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        client = NotebookClient(
            nb, kernel_name=a.kernel, timeout=a.timeout, startup_timeout=60,
            timeout_func=lambda cell: cell.metadata.get("clienttest", {}).get("timeout", a.timeout),
            resources={"metadata": {"path": "."}})
        t0 = time.monotonic()
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
            print(f"EXECUTION FAILED ({type(e).__name__}): {str(e)[:3000]}")
            rc = 2
        print(f"executed with kernel {a.kernel} in {time.monotonic() - t0:.2f} s")
        if a.out:
            nbformat.write(nb, a.out)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as e:
        print(f"INVALID nbformat: {e}")
        rc = rc or 1
    ok = failed = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        got = summary(cell)
        first = cell.source.splitlines()[0][:60] if cell.source else ""
        errs = problems(cell)
        print(f"[{i}] In[{cell.get('execution_count')}] {first!r}: stdout={got['stdout'][:200]!r} "
              f"stderr={got['stderr'][:200]!r} result={got['result']!r} mimes={sorted(got['mimes'])} "
              f"error={got['error']!r}")
        if errs:
            failed += 1
            print(f"     FAIL cell [{i}] {first!r}: " + "; ".join(errs))
        else:
            ok += 1
    print(f"{ok} cells ok, {failed} failed")
    sys.exit(rc or (1 if failed else 0))


if __name__ == "__main__":
    main()
