# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""TLS plaintext on loopback, read by a member of the TLS group: openssl
s_client and s_server, gnutls-cli, curl against Python's ssl server (the _ex
functions), a statically linked client probed with --tls-binary, and a 1 MiB
write captured whole or with its missing bytes counted exactly. A member of
observe alone is refused the plaintext but sees the counters."""
import base64
import grp
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time

from harness import (GROUP, MEMBER, OUTSIDER, TLS_GROUP, TLS_MEMBER, Failure, check, check_eq,
                     events_of, host_only, run, settle, test_list, wait_until)

TESTS, test = test_list()

PYTHON = "/usr/bin/python3"     # Debian's: its ssl module is the system's libssl
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "tls_peer.py")
MIB = 1 << 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def certificate(env):
    """A self-signed certificate for 127.0.0.1, made once per run."""
    cert, key = os.path.join(env.tmp, "tls-cert.pem"), os.path.join(env.tmp, "tls-key.pem")
    if not os.path.exists(cert):
        run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert])
    return cert, key


def start(env, cmd, **kw):
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)
    env.started.append(proc)
    return proc


def read_line(proc, what, timeout=10):
    """One line of a peer's output, or a failure that shows its errors."""
    line = proc.stdout.readline()
    if not line:
        proc.wait(timeout)
        raise Failure(f"{what} ended (exit {proc.returncode}): {proc.stderr.read().decode()!r}")
    return line.decode(errors="replace")


def s_server(env, port):
    """openssl s_server in its plain mode: SSL_read to stdout, stdin to SSL_write."""
    cert, key = certificate(env)
    proc = start(env, ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", cert,
                       "-key", key, "-quiet"])
    wait_until(lambda: port_open(port), 5, "s_server to listen")
    return proc


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def tls_reader(env, *args, user=TLS_MEMBER):
    return env.reader(*args, user=user, tool="observe-tls").wait_ready()


def finish(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def data_of(events, pid, direction):
    return [e for e in events_of(events, "tls_data", pid=pid, direction=direction)]


def text_of(records):
    return "".join(e["data"] for e in records)


def exchange(env, client_cmd, client_sends=True):
    """A client of s_server: the client's line goes one way, the server's
    answer the other. Returns the records, the server and the client."""
    port = free_port()
    reader = tls_reader(env)
    server = client = None
    try:
        server = s_server(env, port)
        client = start(env, [c.replace("PORT", str(port)) for c in client_cmd])
        if client_sends:
            time.sleep(0.3)      # past the handshake: s_client reads stdin after it
            client.stdin.write(b"ping-from-client\n")
            client.stdin.flush()
        check_eq("ping-from-client\n" if client_sends else "static-hello\n",
                 read_line(server, "s_server"), "what s_server read")
        server.stdin.write(b"pong-from-server\n")
        server.stdin.flush()
        answer = ""
        while "pong-from-server" not in answer:
            answer = read_line(client, "the client")
        settle()
    finally:
        for proc in (client, server):
            if proc:
                finish(proc)
        events = reader.stop()
    return events, server, client


def check_both_ways(events, server, client, client_functions, server_functions, client_line):
    sent = data_of(events, client.pid, "sent")
    check(client_line in text_of(sent), f"the client's line in what it sent: {sent}")
    check({e["function"] for e in sent} <= client_functions, f"client functions: {sent}")
    got = data_of(events, server.pid, "received")
    check(client_line in text_of(got), f"the client's line in what s_server received: {got}")
    check({e["function"] for e in got} <= server_functions, f"server functions: {got}")
    answer = data_of(events, server.pid, "sent")
    check("pong-from-server\n" in text_of(answer), f"the answer in what s_server sent: {answer}")
    back = data_of(events, client.pid, "received")
    check("pong-from-server\n" in text_of(back), f"the answer in what the client received: {back}")
    conns = {e["conn"] for e in sent + back}
    check_eq(1, len(conns), "connections of the client")
    for e in sent + got + answer + back:
        check_eq(e["call_len"], e["len"] + e["missing"], f"len + missing of {e}")


@test
def openssl_s_client_and_s_server_are_seen_both_ways_with_their_pids(env):
    events, server, client = exchange(env, ["openssl", "s_client", "-connect", "127.0.0.1:PORT",
                                            "-quiet"])
    check_both_ways(events, server, client, {"SSL_write"}, {"SSL_read"}, "ping-from-client\n")
    check(all(e["comm"] == "openssl" and e["library"] == "openssl"
              for e in events if e.get("pid") in (server.pid, client.pid)),
          "comm and library of the openssl records")


@test
def gnutls_cli_is_seen_through_gnutls_record_send_and_recv(env):
    events, server, client = exchange(env, ["gnutls-cli", "--insecure", "-p", "PORT", "127.0.0.1"])
    check_both_ways(events, server, client, {"gnutls_record_send"}, {"SSL_read"},
                    "ping-from-client\n")
    hs = events_of(events, "tls_handshake", pid=client.pid)
    check(any(e["function"] == "gnutls_handshake" and e["ret"] == 0 for e in hs),
          f"gnutls-cli's handshake: {hs}")


@test
def curl_and_pythons_ssl_server_show_the_request_and_the_response(env):
    port = free_port()
    cert, key = certificate(env)
    reader = tls_reader(env)
    try:
        server = start(env, [PYTHON, PEER, "https", str(port), cert, key, "body-from-python"])
        check_eq("listening\n", read_line(server, "the python server"), "python server")
        curl = run(["curl", "-sk", f"https://127.0.0.1:{port}/observe-path"])
        check_eq(b"body-from-python", curl.stdout, "curl's output")
        server.wait(10)
        settle()
    finally:
        events = reader.stop()
    curls = [e for e in events if e.get("comm") == "curl" and e["type"] == "tls_data"]
    request = text_of([e for e in curls if e["direction"] == "sent"])
    check(request.startswith("GET /observe-path HTTP/1.1\r\n"), f"curl's request: {request!r}")
    response = text_of([e for e in curls if e["direction"] == "received"])
    check(response.startswith("HTTP/1.0 200") and response.endswith("body-from-python"),
          f"the response curl received: {response!r}")
    got = data_of(events, server.pid, "received")
    check("GET /observe-path HTTP/1.1" in text_of(got), f"what python received: {got}")
    check({e["function"] for e in got} == {"SSL_read_ex"}, f"python reads with SSL_read_ex: {got}")
    answered = data_of(events, server.pid, "sent")
    check("body-from-python" in text_of(answered) and
          {e["function"] for e in answered} == {"SSL_write_ex"},
          f"python writes with SSL_write_ex: {answered}")
    hs = [e for e in events if e["type"] == "tls_handshake" and e.get("comm") == "curl"]
    check(any(e["ret"] == 1 for e in hs), f"curl's completed handshake: {hs}")


@test
def a_static_binary_given_with_tls_binary_is_captured(env):
    events, server, client = exchange(env, [env.tool("test-tls-static"), "PORT", "static-hello\n"],
                                      client_sends=False)
    check_both_ways(events, server, client, {"SSL_write"}, {"SSL_read"}, "static-hello\n")
    check(all(e["comm"] == "test-tls-static" for e in events if e.get("pid") == client.pid),
          "comm of the static client")
    ldd = run(["ldd", env.tool("test-tls-static")], check_rc=False)
    check(b"libssl" not in ldd.stdout, f"the static client loads no libssl: {ldd.stdout!r}")
    targets = [json.loads(line) for line in
               env.user_tool("observe-tls", "--targets", user=MEMBER).stdout.decode().splitlines()]
    mine = [t for t in targets if t["path"] == os.path.realpath(env.tool("test-tls-static"))]
    check(len(mine) == 1 and mine[0]["source"] == "tls-binary" and
          mine[0]["functions"]["SSL_write"] == "attached" and
          mine[0]["functions"]["gnutls_record_send"] == "symbol missing",
          f"the static binary among the targets: {targets}")
    check(any(t["source"] == "system" and "libssl.so" in t["path"] for t in targets),
          f"the system's libssl among the targets: {targets}")


def one_mib_transfer(env, *reader_args, follow=False):
    """Python's client sends 1 MiB in one SSL_write_ex to Python's server.
    Returns the records of a --base64 reader (and of a --follow reader of the
    client's connection), the client, the server and the bytes sent."""
    port = free_port()
    cert, key = certificate(env)
    reader = tls_reader(env, "--base64", "-c", "python3", *reader_args)
    server = client = follower = None
    try:
        server = start(env, [PYTHON, PEER, "sink", str(port), cert, key, str(MIB)])
        check_eq("listening\n", read_line(server, "the sink"), "sink")
        client = start(env, [PYTHON, PEER, "send", str(port), str(MIB)])
        check_eq("connected\n", read_line(client, "the sender"), "sender")
        if follow:
            def handshake():
                with open(reader.stdout_path) as f:
                    return [json.loads(line) for line in f if '"tls_handshake"' in line
                            and f'"pid":{client.pid},' in line]
            wait_until(handshake, 5, "the sender's handshake record")
            follower = tls_reader(env, "--follow", handshake()[0]["conn"], "--hex")
        client.stdin.write(b"go\n")
        client.stdin.flush()
        check_eq(f"got {MIB}\n", read_line(client, "the sender"), "the sink's answer")
        received = read_line(server, "the sink").split()
        settle()
    finally:
        for proc in (client, server):
            if proc:
                finish(proc)
        events = reader.stop()
        followed = follower.stop() if follower else None
    expected = bytes(i % 251 for i in range(MIB))
    check_eq(["received", str(MIB), hashlib.sha256(expected).hexdigest()], received,
             "what the sink received")
    return events, followed, client, server, expected


def sent_and_received(events, client, server):
    sent = [e for e in data_of(events, client.pid, "sent")]
    got = [e for e in data_of(events, server.pid, "received")]
    return sent, got


def joined(records):
    return b"".join(base64.b64decode(e["data_base64"]) for e in records)


@test
def a_1_mib_write_beyond_tls_max_has_its_missing_bytes_counted_exactly(env):
    events, _, client, server, expected = one_mib_transfer(env)
    sent, got = sent_and_received(events, client, server)
    check_eq([(MIB, 0, 16384, MIB - 16384, False)],
             [(e["call_len"], e["offset"], e["len"], e["missing"], e["more"]) for e in sent],
             "(call_len, offset, len, missing, more) of the 1 MiB write at --tls-max=16K")
    check(sent[0]["truncated"], "a record with missing bytes says truncated")
    check_eq(expected[:16384], joined(sent), "the captured first 16 KiB")
    check_eq(expected, joined(got), "what the server read, captured whole (16 KiB reads)")
    check_eq(MIB, sum(e["len"] + e["missing"] for e in got), "len + missing of the reads")
    check_eq([], [e for e in events if e["type"] == "gap"], "gaps")


@test
@host_only
def a_1_mib_write_within_tls_max_comes_whole_in_continuation_records(env):
    env.load("--tls-max", "1M")
    try:
        events, followed, client, server, expected = one_mib_transfer(env, follow=True)
    finally:
        env.load()
    sent, _ = sent_and_received(events, client, server)
    check_eq(MIB // 16384, len(sent), "records of the 1 MiB write")
    check_eq(list(range(0, MIB, 16384)), [e["offset"] for e in sent], "their offsets")
    check_eq([True] * (len(sent) - 1) + [False], [e["more"] for e in sent], "their 'more' flags")
    check_eq(0, sum(e["missing"] for e in sent), "missing bytes")
    check_eq(expected, joined(sent), "the 1 MiB as captured")
    check_eq(list(range(len(sent))), [e["chunk"] for e in sent], "chunk numbers")
    calls = [e for e in followed if e["type"] == "tls_call" and e["direction"] == "sent"]
    check(len(calls) == 1 and calls[0]["len"] == MIB and calls[0]["missing"] == 0 and
          bytes.fromhex(calls[0]["data_hex"]) == expected,
          f"--follow joins the write into one line: {[(c['len'], c['missing']) for c in calls]}")
    check_eq({client.pid}, {e["pid"] for e in followed if e["type"] != "gap"},
             "the one process of the followed connection")


@test
def a_member_of_observe_alone_is_refused_the_plaintext_but_sees_the_counters(env):
    res = env.user_tool("observe-tls", "-d", "0.1", user=MEMBER, check_rc=False)
    err = res.stderr.decode()
    check(res.returncode == 1 and f"add yourself to group '{TLS_GROUP}'" in err,
          f"a member of {GROUP} alone is told to join {TLS_GROUP}: {err!r}")
    res = env.user_tool("observe-tls", "-d", "0.1", user=OUTSIDER, check_rc=False)
    check(res.returncode == 1 and f"group '{GROUP}'" in res.stderr.decode(),
          f"an outsider is told to join {GROUP}: {res.stderr!r}")
    res = env.user_tool("observe-events", "-t", "tls_data", user=MEMBER, check_rc=False)
    check(res.returncode == 2 and b"observe-tls" in res.stderr,
          f"observe-events refuses TLS types: {res.stderr!r}")
    tls_dir = os.path.join(env.pin_dir, "tls")
    st = os.stat(tls_dir)
    check_eq((0o750, TLS_GROUP), (st.st_mode & 0o777, grp.getgrgid(st.st_gid).gr_name),
             "mode and group of the TLS directory")
    stats = env.stats(user=MEMBER)
    check(stats["tls"]["calls"] > 0 and stats["tls"]["records"] > 0 and
          stats["tls"]["bytes"] >= stats["tls"]["captured"] > 0,
          f"TLS counters for a member of {GROUP}: {stats['tls']}")
    check(len(stats["tls"]["slots"]) == 2 and
          sum(s["delivered"] for s in stats["tls"]["slots"]) > 0,
          f"TLS slot counters: {stats['tls']['slots']}")
    check(any(t["type"] == "tls_data" and t["produced"] > 0 for t in stats["types"]),
          f"tls_data among the types: {stats['types']}")


@test
def a_reload_without_tls_retires_the_tls_slots_and_tells_their_reader(env):
    reader = tls_reader(env)
    try:
        run([env.tool("observe-load"), "--pin-dir", env.pin_dir, "--group", GROUP])
        try:
            reader.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
    finally:
        env.load()
    check_eq(1, reader.proc.returncode, f"the TLS reader's exit ({reader.stderr_text().strip()})")
    check("start the reader again" in reader.stderr_text(), f"message: {reader.stderr_text()!r}")
    reader.stop()
    check_eq(0, env.stats()["tls"]["slots"][0]["dropped"], "drops of the reloaded TLS slot")
    tls_reader(env).stop()      # the slot is claimable again


@test
def observe_tls_and_the_loader_refuse_bad_input(env):
    cases = [
        (["--conn", "xyz"], 2, "connection"),
        (["-t", "exec"], 2, "observe-events"),
        (["-d", "soon"], 2, "seconds"),
        (["--bogus"], 2, "unrecognized"),
        (["--pin-dir", "/sys/fs/bpf/observe-test-absent"], 1, "run observe-load"),
    ]
    for args, rc, needle in cases:
        res = env.user_tool("observe-tls", *args, check_rc=False, user=TLS_MEMBER)
        err = res.stderr.decode()
        check_eq(rc, res.returncode, f"exit code for {args} ({err.strip()})")
        check(needle in err, f"an error naming '{needle}' for {args}: {err!r}")
    for tool, user in (("observe-events", MEMBER), ("observe-tls", TLS_MEMBER)):
        res = env.user_tool(tool, "-t", "all", "-d", "0.1", "-q", user=user, check_rc=False)
        check_eq(0, res.returncode, f"{tool} -t all ({res.stderr.decode().strip()})")
    other = f"{env.pin_dir}-bad-tls"
    loads = [
        (["--tls-binary", "relative/path"], 2, "absolute path"),
        (["--tls-binary", "/etc/hostname"], 1, "not an ELF file"),
        (["--tls-binary", "/nonexistent/server"], 2, "No such file"),
        (["--tls-max", "lots"], 2, "size must be a number"),
        (["--tls=maybe"], 2, "yes or no"),
    ]
    for args, rc, needle in loads:
        res = run([env.tool("observe-load"), "--pin-dir", other, "--group", GROUP, "--tls-group",
                   TLS_GROUP, "-C", "tls", *args], check_rc=False)
        err = res.stderr.decode()
        check_eq(rc, res.returncode, f"observe-load exit code for {args} ({err.strip()})")
        check(needle in err, f"an error naming '{needle}' for {args}: {err!r}")
        check(not os.path.exists(other), f"a refused load left {other}")
