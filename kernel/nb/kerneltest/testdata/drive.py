"""Run cells on a Jupyter kernel with jupyter_client and print what came back.

Reads {"kernel": NAME, "cells": [CODE, ...]} as JSON on stdin. For each cell it
sends an execute_request and collects, in order, the iopub messages of that
request (stream, display_data, update_display_data, clear_output,
execute_result, error) until status idle, plus the execute_reply's status.
Prints a JSON list with one {"reply": STATUS, "iopub": [...]} per cell.
"""
import json
import sys

from jupyter_client.manager import start_new_kernel

WANTED = {"stream", "display_data", "update_display_data", "clear_output",
          "execute_result", "error"}


def run_cell(kc, code, timeout=120):
    msg_id = kc.execute(code)
    iopub = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            break
        if kind in WANTED:
            iopub.append({"msg_type": kind, "content": msg["content"]})
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return {"reply": reply["content"]["status"], "iopub": iopub}


def main():
    req = json.load(sys.stdin)
    km, kc = start_new_kernel(kernel_name=req["kernel"], startup_timeout=60)
    try:
        out = [run_cell(kc, code) for code in req["cells"]]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
