# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""observe-exporter run by a non-root group member: its text passes promtool,
and a real Prometheus server on loopback scrapes it and sees the counters
rise and a histogram with buckets after real activity."""
import base64
import grp
import json
import os
import secrets
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import (GROUP, MEMBER, OUTSIDER, Failure, Skip, check, check_eq, host_only, run,
                     test_list, wait_until)

TESTS, test = test_list()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5, token=None, context=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout,
                                context=context) as r:
        return r.status, r.headers.get("Content-Type", ""), r.read().decode()


def secret_file(env, name, text):
    """A file the group may read and other users may not, as an admin keeps
    the exporter's secrets."""
    path = os.path.join(env.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    os.chown(path, 0, grp.getgrnam(GROUP).gr_gid)
    os.chmod(path, 0o640)
    return path


class Exporter:
    """observe-exporter run by a member, with a bearer token unless told
    otherwise (auth=[...] replaces the token's options)."""

    def __init__(self, env, *args, auth=None, scheme="http"):
        self.port = free_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}/metrics"
        self.token = None
        if auth is None:
            self.token = secrets.token_urlsafe(24)
            self.token_file = secret_file(env, f"token-{self.port}", self.token + "\n")
            auth = ["--token-file", self.token_file]
        self.err_path = os.path.join(env.out, f"exporter-{self.port}.err")
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(
            env.as_user(MEMBER) + [env.tool("observe-exporter"), "--pin-dir", env.pin_dir,
                                         "--listen", f"127.0.0.1:{self.port}", *auth, *args],
            stdout=subprocess.DEVNULL, stderr=self.err)
        env.started.append(self.proc)
        wait_until(lambda: "serving" in self.stderr() or self.proc.poll() is not None, 5,
                   "the exporter to listen")
        check(self.proc.poll() is None, f"exporter exited {self.proc.returncode}: {self.stderr()}")

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode(errors="replace")

    def metrics(self):
        status, ctype, text = http_get(self.url, token=self.token)
        check_eq(200, status, "HTTP status of /metrics")
        check(ctype.startswith("text/plain; version=0.0.4"), f"content type: {ctype}")
        return text

    def stop(self):
        self.proc.terminate()
        self.proc.wait(5)
        self.err.close()
        check_eq(0, self.proc.returncode, f"exit code of the exporter on SIGTERM ({self.stderr()})")


def samples(text, name):
    """{labels-text: value} of the series called exactly 'name'."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            series, value = line.rsplit(" ", 1)
            out[series[len(name):]] = float(value)
    return out


@test
def exporter_text_passes_promtool_with_help_type_and_histograms(env):
    if not shutil.which("promtool"):
        raise Skip("promtool is not installed (make test installs Debian's prometheus)")
    exp = Exporter(env, "--top", "5")
    try:
        os.getppid()
        text = exp.metrics()
        res = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check_eq(0, res.returncode, f"promtool check metrics: {res.stdout.decode().strip()}")
        check_eq(1.0, samples(text, "observe_up")[""], "observe_up")
        info = samples(text, "observe_info")
        check(any(os.uname().release in k for k in info), f"kernel release in observe_info: {info}")
        loaded = samples(text, "observe_collector_loaded")
        check_eq(1.0, loaded.get('{collector="syscalls"}'), f"syscalls loaded ({loaded})")
        attached = samples(text, "observe_attached_programs")
        check_eq(float(os.cpu_count()), attached.get('{collector="profile"}'),
                 f"one profiler program per CPU ({attached})")
        check_eq(1.0, attached.get('{collector="syscalls"}'),
                 f"syscalls programs: sys_exit, not sys_enter while latency is off ({attached})")
        check_eq(3.0, attached.get('{collector="cpu"}'),
                 f"cpu programs: the three of run-queue latency, held by the exporter ({attached})")
        details = samples(text, "observe_detail_on")
        check_eq({'{detail="syscall-latency"}': 0.0, '{detail="page-faults"}': 1.0,
                  '{detail="runq-latency"}': 1.0, '{detail="block-latency"}': 1.0}, details,
                 "syscall latency off (no --syscall-latency); faults, run queue and block I/O "
                 "held by the exporter")
        # Top 5 syscalls and one "other": a bounded number of series.
        calls = samples(text, "observe_syscalls_total")
        check('{syscall="other"}' in calls, f"an 'other' series: {sorted(calls)}")
        check_eq(6, len(calls), f"series of observe_syscalls_total with --top 5 ({sorted(calls)})")
        buckets = [k for k in samples(text, "observe_syscall_duration_seconds_bucket")]
        check(any('le="+Inf"' in k for k in buckets), "a +Inf bucket")
        for family in ("observe_events_produced_total", "observe_slot_events_dropped_total",
                       "observe_syscall_duration_seconds", "observe_exporter_scrape_duration_seconds",
                       "observe_profile_samples_total", "observe_block_io_duration_seconds",
                       "observe_runqueue_latency_seconds", "observe_page_faults_total",
                       "observe_tls_calls_total", "observe_tls_missing_bytes_total",
                       "observe_tls_slot_events_dropped_total"):
            check(f"# TYPE {family} " in text, f"a TYPE line for {family}")
            check(f"# HELP {family} " in text, f"a HELP line for {family}")
        check('reason="ring_full"' in text, "slot drops carry their reason")
        tls_drops = samples(text, "observe_tls_slot_events_dropped_total")
        check_eq({f'{{slot="{i}",reason="ring_full"}}' for i in range(2)}, set(tls_drops),
                 "one TLS slot drop series per TLS slot (the test load has 2)")
        status, _, _ = http_get(exp.url.replace("/metrics", "/"), token=exp.token)
        check_eq(200, status, "status of /")
        try:
            http_get(exp.url.replace("/metrics", "/nope"), token=exp.token)
            raise Failure("/nope should be 404")
        except urllib.error.HTTPError as e:
            check_eq(404, e.code, "status of /nope")
    finally:
        exp.stop()


class Prometheus:
    def __init__(self, env, target_port, token_file):
        if not shutil.which("prometheus"):
            raise Skip("prometheus is not installed (make test installs Debian's package)")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.dir = os.path.join(env.tmp, f"prometheus-{self.port}")
        os.mkdir(self.dir)
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: observe\n"
                    f"    authorization:\n      credentials_file: {token_file}\n"
                    "    static_configs:\n"
                    f"      - targets: ['127.0.0.1:{target_port}']\n")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        env.started.append(self.proc)

        def ready():
            check(self.proc.poll() is None, f"prometheus exited {self.proc.returncode}")
            try:
                return http_get(self.base + "/-/ready", timeout=1)[0] == 200
            except OSError:
                return False
        wait_until(ready, 60, "prometheus to be ready")

    def query(self, q):
        _, _, body = http_get(self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": q}))
        reply = json.loads(body)
        check_eq("success", reply["status"], f"status of query {q}")
        return reply["data"]["result"]

    def value(self, q):
        res = self.query(q)
        return float(res[0]["value"][1]) if res else None

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@test
@host_only
def prometheus_scrapes_the_exporter_and_sees_counters_rise(env):
    exp = Exporter(env, "--syscall-latency")
    reader = env.reader("-t", "exec").wait_ready()
    prom = None
    try:
        prom = Prometheus(env, exp.port, exp.token_file)
        up = 'up{job="observe"}'
        wait_until(lambda: prom.value(up) == 1.0, 20, "prometheus to scrape the exporter")
        execs = 'sum(observe_events_produced_total{type="exec"})'
        calls = 'observe_syscalls_total{syscall="getppid"}'
        wait_until(lambda: prom.value(execs) is not None, 20, "the exec counter in prometheus")
        before_execs = prom.value(execs)
        total_calls = "sum(observe_syscalls_total)"
        before_total = prom.value(total_calls)
        for _ in range(20):
            run(["/bin/true"])
        for _ in range(5000):
            os.getppid()
        wait_until(lambda: (prom.value(execs) or 0) >= before_execs + 20, 20,
                   f"the exec counter to rise by 20 from {before_execs}")
        wait_until(lambda: (prom.value(total_calls) or 0) >= before_total + 5000, 20,
                   f"all syscalls (own series and 'other') to rise by 5000 from {before_total}")
        # The fastest-growing syscall takes a series of its own, which counts
        # from then on (what it had before stays in "other").
        wait_until(lambda: prom.value(calls) is not None, 20, "a series of its own for getppid")
        before_calls = prom.value(calls)
        for _ in range(5000):
            os.getppid()
        wait_until(lambda: (prom.value(calls) or 0) >= before_calls + 5000, 20,
                   f"getppid calls to rise by 5000 from {before_calls}")
        buckets = prom.query('observe_syscall_duration_seconds_bucket{syscall="getppid"}')
        check_eq(40, len(buckets), "buckets of the getppid latency histogram in prometheus")
        p99 = prom.value('histogram_quantile(0.99, observe_syscall_duration_seconds_bucket{syscall="getppid"})')
        check(p99 is not None and 0 < p99 < 1, f"a p99 getppid latency under a second: {p99}")
        check_eq(1.0, prom.value("observe_up"), "observe_up as scraped")
        check_eq(1.0, prom.value('observe_detail_on{detail="syscall-latency"}'),
                 "latency on while --syscall-latency runs")
    finally:
        if prom:
            prom.stop()
        reader.stop()
        exp.stop()


@test
def exporter_refuses_bad_flags_an_unloaded_system_and_outsiders(env):
    cases = [
        (["--top", "0", "--no-auth"], 2, "top must be between"),
        ([], 2, "who may scrape"),
        (["--token-file", "/etc/passwd"], 2, "readable by every user"),
        (["--no-auth", "--tls-cert", "/etc/passwd"], 2, "go together"),
        (["--no-auth", "--max-per-client", "0"], 2, "max-per-client must be between"),
        (["--listen", "localhost", "--no-auth"], 2, "ADDRESS:PORT"),
        (["--listen", "example.com:80", "--no-auth"], 2, "numeric"),
        (["--listen", "127.0.0.1:99999", "--no-auth"], 2, "port"),
        (["--pin-dir", "/sys/fs/bpf/observe-test-absent", "--no-auth"], 1, "run observe-load"),
    ]
    for args, rc, needle in cases:
        res = env.user_tool("observe-exporter", *args, check_rc=False)
        err = res.stderr.decode()
        check_eq(rc, res.returncode, f"exit code for {args} ({err.strip()})")
        check(needle in err and err.count("\n") == 1, f"one line naming '{needle}' for {args}: {err!r}")
    res = env.user_tool("observe-exporter", "--no-auth", user=OUTSIDER, check_rc=False)
    err = res.stderr.decode()
    check(res.returncode == 1 and "group" in err, f"an outsider is told to join the group: {err!r}")
    # A port already taken.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        res = env.user_tool("observe-exporter", "--listen", f"127.0.0.1:{s.getsockname()[1]}",
                            "--no-auth", check_rc=False)
    err = res.stderr.decode()
    check(res.returncode == 1 and "cannot listen" in err, f"a taken port: {err!r}")


def status_of(url, token=None, context=None, basic=None):
    """The HTTP status a request gets (401 included)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5,
                                    context=context) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


OUTSIDER_SCRAPE = """
import socket, sys, time, urllib.error, urllib.request
url, port = sys.argv[1], int(sys.argv[2])
try:
    urllib.request.urlopen(url, timeout=5)
    print("scraped")
except urllib.error.HTTPError as e:
    print(e.code)
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(70)]
print("holding", flush=True)
time.sleep(30)
"""


@test
@host_only
def an_outsider_is_refused_a_scrape_and_cannot_crowd_out_prometheus(env):
    exp = Exporter(env)
    outsider = None
    try:
        check_eq(401, status_of(exp.url), "status of a scrape without the token")
        check_eq(401, status_of(exp.url, token="x" * 32), "status of a scrape with a wrong token")
        outsider = subprocess.Popen(env.as_user(OUTSIDER) + ["/usr/bin/python3", "-c", OUTSIDER_SCRAPE,
                                                             exp.url, str(exp.port)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        env.started.append(outsider)
        check_eq(b"401\n", outsider.stdout.readline(), "what an outsider's scrape gets")
        check_eq(b"holding\n", outsider.stdout.readline(), "the outsider's 70 connections")
        check("observe_up 1" in exp.metrics(), "a member's scrape while the outsider holds 70")
    finally:
        if outsider:
            outsider.kill()
            outsider.wait()
        exp.stop()


@test
@host_only
def the_exporter_takes_users_with_password_hashes_and_serves_https(env):
    hashed = run(["openssl", "passwd", "-6", "prometheus-secret"]).stdout.decode().strip()
    users = secret_file(env, "exporter.users", f"# who may scrape\nprom:{hashed}\n")
    key, cert = os.path.join(env.tmp, "exporter.key"), os.path.join(env.tmp, "exporter.crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "1", "-subj", "/CN=127.0.0.1"])
    for path in (key, cert):
        os.chown(path, 0, grp.getgrnam(GROUP).gr_gid)
        os.chmod(path, 0o640)
    exp = Exporter(env, "--tls-cert", cert, "--tls-key", key, auth=["--users-file", users],
                   scheme="https")
    try:
        context = ssl.create_default_context(cafile=cert)
        context.check_hostname = False
        check_eq(401, status_of(exp.url, context=context), "status without a password")
        check_eq(401, status_of(exp.url, context=context, basic="prom:wrong"),
                 "status with a wrong password")
        check_eq(401, status_of(exp.url, context=context, basic="other:prometheus-secret"),
                 "status of another user")
        check_eq(200, status_of(exp.url, context=context, basic="prom:prometheus-secret"),
                 "status with the password, over TLS")
    finally:
        exp.stop()
