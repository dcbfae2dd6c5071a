# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The reload's layout check: a pinned map is kept only if its fields are
those of this version, compared through BTF, not only its sizes."""
import os

from harness import GROUP, check, run, test_list

TESTS, test = test_list()


@test
def a_pinned_map_with_a_renamed_field_of_the_same_size_is_replaced_with_a_warning(env):
    pin_dir = env.pin_dir + "-layout"
    env.extra_pin_dirs.append(pin_dir)
    os.mkdir(pin_dir, 0o750)
    pinned = os.path.join(pin_dir, "observe_sequence")
    run([os.path.join(env.build, "test-pin-map"), pinned, "count", "percpu"])
    load = [env.tool("observe-load"), "--pin-dir", pin_dir, "--group", GROUP, "-C", "process"]
    first = run(load).stderr.decode()
    check("observe_sequence has a new layout in this version (field 'count' at byte 0 became "
          "'next')" in first, f"the warning of the first load names the field: {first!r}")
    dump = run(["bpftool", "map", "dump", "pinned", pinned]).stdout.decode()
    check('"next"' in dump and '"count"' not in dump, f"the pinned map replaced: {dump}")
    again = run(load).stderr.decode()
    check("new layout" not in again, f"a second load keeps the map it made: {again!r}")
    run([env.tool("observe-load"), "--pin-dir", pin_dir, "--unload"])
