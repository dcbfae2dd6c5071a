# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The last test of the run: --unload of the test load leaves nothing."""
import os

from harness import check, check_eq, test_list
from test_spine import link_count

TESTS, test = test_list()
RUN_ORDER = 100  # last: it unloads the test load


@test
def unload_leaves_no_pins_and_no_links(env):
    env.unload()
    check(not os.path.exists(env.pin_dir), f"{env.pin_dir} still exists after --unload")
    check_eq(env.links_at_start, link_count(), "attached links after --unload")
    res = env.user_tool("observe-stats", check_rc=False)
    check(res.returncode == 1 and b"observe is not loaded" in res.stderr, f"stats after unload: {res.stderr!r}")
