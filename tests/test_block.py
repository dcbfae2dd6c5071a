# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The block collector on the real kernel: direct reads from a read-only
loop device show in its latency histogram, read by a non-root group member."""
import json
import os
import subprocess

from harness import Skip, check, check_eq, run, test_list

TESTS, test = test_list()

READS = 200


@test
def direct_reads_from_a_block_device_show_in_its_histogram(env):
    if not os.path.exists("/dev/loop-control"):
        subprocess.run(["modprobe", "loop"], stderr=subprocess.DEVNULL)
    if not os.path.exists("/dev/loop-control"):
        raise Skip("no loop devices here (/dev/loop-control; modprobe loop failed)")
    image = os.path.join(env.tmp, "block.img")
    with open(image, "wb") as f:
        f.truncate(16 << 20)
    device = run(["losetup", "--find", "--show", "--read-only", image]).stdout.decode().strip()
    try:
        name = os.path.basename(device)
        run(["dd", f"if={device}", "of=/dev/null", "bs=4096", f"count={READS}", "iflag=direct"])
        disks = json.loads(env.user_tool("observe-hist", "--json").stdout)["block"]
    finally:
        run(["losetup", "--detach", device], check_rc=False)
    mine = [d for d in disks if d["disk"] == name]
    check_eq(1, len(mine), f"{name} among the disks ({[d['disk'] for d in disks]})")
    lat = mine[0]["latency_ns"]
    check(lat["count"] >= READS, f"requests on {name}: {lat['count']} < {READS}")
    check(mine[0]["bytes"] >= READS * 4096, f"bytes read from {name}: {mine[0]['bytes']}")
    check_eq(lat["count"], sum(b["count"] for b in lat["buckets"]), "buckets add up to the count")
