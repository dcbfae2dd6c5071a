# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The block collector on the real kernel: direct reads from a read-only
loop device show in its latency histogram while block-latency is on, and
not while it is off, read by a non-root group member."""
import json
import os
import subprocess

from harness import Skip, check, check_eq, run, test_list

TESTS, test = test_list()

READS = 200


def block_latency(env, on):
    env.user_tool("observe-filter", "enable" if on else "disable", "block-latency")


def hist(env, *args):
    return json.loads(env.user_tool("observe-hist", "--json", *args).stdout)


def requests_on(stats, name):
    mine = [d for d in stats["block"] if d["disk"] == name]
    return mine[0] if mine else {"latency_ns": {"count": 0, "buckets": []}, "bytes": 0}


def read_directly(device):
    run(["dd", f"if={device}", "of=/dev/null", "bs=4096", f"count={READS}", "iflag=direct"])


@test
def direct_reads_from_a_block_device_are_counted_only_while_switched_on(env):
    if not os.path.exists("/dev/loop-control"):
        subprocess.run(["modprobe", "loop"], stderr=subprocess.DEVNULL)
    if not os.path.exists("/dev/loop-control"):
        raise Skip("no loop devices here (/dev/loop-control; modprobe loop failed)")
    image = os.path.join(env.tmp, "block.img")
    with open(image, "wb") as f:
        f.truncate(16 << 20)
    device = run(["losetup", "--find", "--show", "--read-only", image]).stdout.decode().strip()
    name = os.path.basename(device)
    try:
        before = requests_on(hist(env), name)["latency_ns"]["count"]
        read_directly(device)
        off = hist(env)
        text = env.user_tool("observe-hist").stdout.decode()
        block_latency(env, True)
        try:
            read_directly(device)
            on = hist(env)
        finally:
            block_latency(env, False)
        held = hist(env, "-i", "0.2", "--count", "1")
    finally:
        run(["losetup", "--detach", device], check_rc=False)
    check_eq(False, off["details"]["block-latency"]["on"], "block-latency off by default")
    check_eq(before, requests_on(off, name)["latency_ns"]["count"], f"requests on {name} while off")
    check("counted: off (observe-filter enable block-latency" in text,
          f"the text says block I/O is not counted:\n{text}")
    check_eq(True, on["details"]["block-latency"]["on"], "block-latency on once enabled")
    mine = requests_on(on, name)
    lat = mine["latency_ns"]
    check(lat["count"] - before >= READS, f"requests on {name} while on: {lat['count'] - before} < {READS}")
    check(mine["bytes"] >= READS * 4096, f"bytes read from {name}: {mine['bytes']}")
    check_eq(lat["count"], sum(b["count"] for b in lat["buckets"]), "buckets add up to the count")
    check_eq(True, held["details"]["block-latency"]["on"], "on while observe-hist -i runs")
    check_eq(False, hist(env)["details"]["block-latency"]["on"], "off once observe-hist ended")
