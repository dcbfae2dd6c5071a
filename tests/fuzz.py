#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Runs each libFuzzer target (tests/fuzz/fuzz_*.c, built by `make fuzzers`
into BUILD/fuzz) for a bounded time from its committed seed corpus
(tests/fuzz/corpus/<target>). New inputs go to a scratch directory, never
into the committed seeds; a crash, a leak, undefined behaviour or an input
that runs over 2 s is a failure, and its input is kept in
BUILD/fuzz/findings. Prints PASS/FAIL per target and 'N passed, N failed'."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGETS = ("reader", "decode", "parse", "httpflow")


def run_target(build, target, seconds):
    """Returns (passed, failed) for one target, after printing its verdict."""
    binary = os.path.join(build, "fuzz", f"fuzz-{target}")
    seeds = os.path.join(TOP, "tests", "fuzz", "corpus", target)
    findings = os.path.join(build, "fuzz", "findings")
    name = f"fuzz_{target}_for_{seconds}s_finds_nothing"
    if not os.path.exists(binary):
        print(f"FAIL {name}: {binary} is missing (make fuzzers)")
        return 0, 1
    os.makedirs(findings, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f"observe-fuzz-{target}-")
    try:
        res = subprocess.run([binary, scratch, seeds, f"-max_total_time={seconds}", "-timeout=2",
                              "-rss_limit_mb=2048", "-print_final_stats=1",
                              f"-artifact_prefix={findings}/{target}-"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out = res.stdout.decode(errors="replace")
    runs = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
    if res.returncode:
        tail = "\n".join(out.splitlines()[-40:])
        print(f"FAIL {name}: exit {res.returncode}\n{tail}")
        return 0, 1
    print(f"PASS {name} ({runs.group(1) if runs else '?'} runs)", flush=True)
    return 1, 0


def run_all(build, seconds):
    passed = failed = 0
    for target in TARGETS:
        p, f = run_target(os.path.abspath(build), target, seconds)
        passed += p
        failed += f
    return passed, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    parser.add_argument("--seconds", type=int, default=300, help="per target")
    args = parser.parse_args()
    passed, failed = run_all(args.build, args.seconds)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
