# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The files for Prometheus and Grafana users in examples/: they pass
promtool, the dashboard has what Grafana needs to import it, and every
metric they name is one the running exporter serves."""
import json
import os
import re
import shutil

from harness import Failure, check, check_eq, run, test_list
from test_exporter import Exporter

TESTS, test = test_list()
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
RULES = os.path.join(EXAMPLES, "prometheus", "observe-alerts.yml")
SCRAPE = os.path.join(EXAMPLES, "prometheus", "prometheus.yml")
DASHBOARD = os.path.join(EXAMPLES, "grafana", "observe-dashboard.json")
# Metrics the examples may name that the exporter does not serve itself.
NOT_OURS = {"up"}


def served_families(text):
    """Metric family names in an exposition (histogram series folded)."""
    return {m.group(1) for m in re.finditer(r"^# TYPE (\S+) ", text, re.M)}


def named_metrics(expr):
    names = set(re.findall(r"\b(observe_[a-z0-9_]+)\b", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}


def dashboard_exprs():
    with open(DASHBOARD) as f:
        dash = json.load(f)
    for field in ("uid", "title", "schemaVersion", "panels", "templating"):
        check(field in dash, f"the dashboard has no {field!r}")
    variables = {v["name"] for v in dash["templating"]["list"]}
    check("datasource" in variables, f"no datasource variable among {variables}")
    ids, exprs = set(), []
    for p in dash["panels"]:
        for field in ("id", "type", "title", "gridPos", "targets", "datasource"):
            check(field in p, f"panel {p.get('title')!r} has no {field!r}")
        check(p["id"] not in ids, f"panel id {p['id']} used twice")
        ids.add(p["id"])
        pos = p["gridPos"]
        check(all(isinstance(pos.get(k), int) for k in "xywh") and pos["x"] + pos["w"] <= 24,
              f"gridPos of {p['title']!r}: {pos}")
        refs = [t["refId"] for t in p["targets"]]
        check(len(refs) == len(set(refs)) and all(t.get("expr") for t in p["targets"]),
              f"targets of {p['title']!r} need an expr and distinct refIds: {p['targets']}")
        exprs += [t["expr"] for t in p["targets"]]
    return exprs


@test
def prometheus_examples_pass_promtool_and_name_served_metrics(env):
    promtool = shutil.which("promtool")
    check(promtool, "promtool is missing (make test installs prometheus)")
    run([promtool, "check", "rules", RULES])
    # check config resolves rule_files relative to the config's directory.
    run([promtool, "check", "config", SCRAPE])

    exprs = [m.group(1) for m in re.finditer(r"^\s+expr: (.+(?:\n\s{12,}.+)*)", open(RULES).read(), re.M)]
    check(len(exprs) >= 5, f"alert rules found: {len(exprs)}")
    exprs += dashboard_exprs()

    exporter = Exporter(env)
    try:
        text = exporter.metrics()
    finally:
        exporter.stop()
    served = served_families(text)
    missing = sorted({n for e in exprs for n in named_metrics(e)} - served - NOT_OURS)
    check_eq([], missing, "metrics named by the examples that the exporter does not serve")

    version = run([env.tool("observe-exporter"), "--version"]).stdout.decode().split()[-1]
    build = re.findall(r'^observe_build_info\{version="([^"]+)"\} 1$', text, re.M)
    check_eq([version], build, "observe_build_info's version")
    if "observe_block_io_bytes_total{" in text:
        check(re.search(r'^observe_block_io_bytes_total\{device="', text, re.M),
              "block I/O series are labelled by device")
    if not served:
        raise Failure("the exposition has no # TYPE lines")
