"""Time kernel start-up as jupyter_client sees it (bench figure 1).

Run by `gokernel bench` with Debian's /usr/bin/python3. For each run and each
kernel name given, in turn (so both see the same machine load):

    t0 = just before KernelManager.start_kernel()
    first kernel_info_reply received by the client's shell channel
    wait_for_ready() returned (it also needs an IOPub message within 0.2 s of
    a kernel_info_reply, then 0.2 s of IOPub silence)

and prints one JSON object per run on stdout, with the IOPub messages the
client saw during wait_for_ready and how many kernel_info_requests it sent,
so a slow start says where its time went.

usage: jupyter_client_start.py RUNS KERNEL_NAME...
"""

import json
import sys
import time

from jupyter_client.manager import KernelManager


def one_start(kernel_name):
    events = []
    first_reply = None
    requests = 0
    t0 = time.monotonic()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel()
    started = time.monotonic()
    kc = km.client()
    kc.start_channels()
    shell_get = kc.shell_channel.get_msg
    iopub_get = kc.iopub_channel.get_msg
    send_info = kc.kernel_info

    async def timed_shell(*args, **kwargs):
        nonlocal first_reply
        msg = await shell_get(*args, **kwargs)
        if msg["msg_type"] == "kernel_info_reply" and first_reply is None:
            first_reply = time.monotonic()
        events.append(["shell", msg["msg_type"], round((time.monotonic() - t0) * 1000, 1)])
        return msg

    async def timed_iopub(*args, **kwargs):
        msg = await iopub_get(*args, **kwargs)
        what = msg["msg_type"]
        if what == "status":
            what += ":" + msg["content"].get("execution_state", "")
        events.append(["iopub", what, round((time.monotonic() - t0) * 1000, 1)])
        return msg

    def counted_info(*args, **kwargs):
        nonlocal requests
        requests += 1
        return send_info(*args, **kwargs)

    kc.shell_channel.get_msg = timed_shell
    kc.iopub_channel.get_msg = timed_iopub
    kc.kernel_info = counted_info
    result = {"kernel": kernel_name}
    try:
        kc.wait_for_ready(timeout=30)
        ready = time.monotonic()
        result.update(
            popen_ms=(started - t0) * 1000,
            first_reply_ms=(first_reply - t0) * 1000,
            ready_ms=(ready - t0) * 1000,
            kernel_info_requests=requests,
            events=events,
        )
    except Exception as e:  # reported, and the next run goes on
        result["error"] = "%s: %s" % (type(e).__name__, e)
        result["events"] = events
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return result


def main():
    runs = int(sys.argv[1])
    names = sys.argv[2:]
    for _ in range(runs):
        for name in names:
            print(json.dumps(one_start(name)), flush=True)


if __name__ == "__main__":
    main()
