#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Runs every test of observe: the C unit tests, then the integration tests on
the real kernel. Needs root (to load; the consumers run as a test user).
Ends with the line 'N passed, N failed'."""
import argparse
import os
import re
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Environment, Failure  # noqa: E402
import test_spine  # noqa: E402


def run_unit_tests(build):
    res = subprocess.run([os.path.join(build, "unit-tests")], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = res.stdout.decode(errors="replace")
    lines = out.splitlines()
    summary = re.match(r"^(\d+) passed, (\d+) failed$", lines[-1] if lines else "")
    for line in lines[:-1]:
        print(f"  unit: {line}")
    if not summary:
        print(f"FAIL unit-tests: no summary line (exit {res.returncode})")
        return 0, 1
    return int(summary.group(1)), int(summary.group(2)) + (1 if res.returncode and not int(summary.group(2)) else 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--build", default="build")
    parser.add_argument("-k", dest="only", help="run only integration tests whose name contains this")
    args = parser.parse_args()

    passed, failed = run_unit_tests(args.build)
    if os.geteuid() != 0:
        print("FAIL integration: the integration tests load BPF programs and need root")
        print(f"{passed} passed, {failed + 1} failed")
        return 1

    env = Environment(args.build)
    start = time.monotonic()
    try:
        env.create_users()
        env.links_at_start = test_spine.link_count()
        env.load()
        print(f"  loaded into {env.pin_dir}")
        for fn in test_spine.TESTS:
            if args.only and args.only not in fn.__name__:
                continue
            t0 = time.monotonic()
            try:
                fn(env)
                passed += 1
                print(f"PASS {fn.__name__} ({time.monotonic() - t0:.1f}s)", flush=True)
            except Failure as e:
                failed += 1
                print(f"FAIL {fn.__name__}: {e}", flush=True)
            except Exception:
                failed += 1
                print(f"FAIL {fn.__name__}: error\n{traceback.format_exc()}", flush=True)
    except Exception as e:
        failed += 1
        print(f"FAIL setup: {e}")
    finally:
        env.cleanup()
    print(f"  integration tests took {time.monotonic() - start:.1f}s")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
