# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The network collector on the real kernel, on loopback only: connect and
accept on 127.0.0.1 and ::1, the TCP lifecycle with its byte counts, and the
port and CIDR filters, read by a non-root group member."""
import os
import socket

from harness import check, check_eq, events_of, settle, test_list

TESTS, test = test_list()


def tcp_exchange(family, addr, sent, answered, bind_client=None):
    """One connection on loopback: the client sends 'sent' bytes, the server
    answers 'answered' bytes, both close. Returns (server port, client port)."""
    with socket.socket(family) as server:
        server.bind((addr, 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.socket(family) as client:
            if bind_client:
                client.bind((bind_client, 0))
            client.connect((addr, port))
            conn, _ = server.accept()
            with conn:
                client.sendall(b"c" * sent)
                got = 0
                while got < sent:
                    got += len(conn.recv(65536))
                conn.sendall(b"s" * answered)
                got = 0
                while got < answered:
                    got += len(client.recv(65536))
                client_port = client.getsockname()[1]
                client.shutdown(socket.SHUT_WR)
                conn.recv(1)          # the client's FIN
    return port, client_port


def check_bytes(expected, actual, what):
    # tcp_sock counts sequence space, as tcplife reports it: a SYN or FIN adds 1.
    check(expected <= actual <= expected + 2, f"{what}: expected {expected} (+2 at most), got {actual}")


@test
def connect_accept_and_tcp_close_on_ipv4_and_ipv6(env):
    me = os.getpid()
    reader = env.reader("-t", "net", "-p", str(me)).wait_ready()
    ports = {}
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        ports[addr] = tcp_exchange(family, addr, 3000, 700)
    settle()
    events = reader.stop()
    for family, addr in (("inet", "127.0.0.1"), ("inet6", "::1")):
        server_port, client_port = ports[addr]
        connects = events_of(events, "connect", remote_port=server_port)
        check_eq(1, len(connects), f"connect events to {addr} port {server_port} (all: {events})")
        c = connects[0]
        check_eq((family, "tcp", addr, addr, client_port, 0, me),
                 (c["family"], c["protocol"], c["remote_addr"], c["local_addr"], c["local_port"],
                  c["ret"], c["pid"]), f"connect to {addr}")
        check(c.get("latency_ns", 0) > 0, f"connect latency: {c}")

        accepts = events_of(events, "accept", local_port=server_port)
        check_eq(1, len(accepts), f"accept events on {addr} port {server_port}")
        a = accepts[0]
        check_eq((family, addr, client_port), (a["family"], a["remote_addr"], a["remote_port"]),
                 f"accepted peer on {addr}")
        check(a["ret"] >= 0, f"accept returns an fd: {a}")

        closes = [e for e in events_of(events, "tcp_close", family=family)
                  if server_port in (e["local_port"], e["remote_port"])]
        check_eq(["accept", "connect"], sorted(e["origin"] for e in closes),
                 f"tcp_close events of the {addr} connection")
        for e in closes:
            check_eq(me, e["pid"], f"owner of the {e['origin']} side")
            check(e.get("duration_ns", 0) > 0, f"duration: {e}")
            out, back = (3000, 700) if e["origin"] == "connect" else (700, 3000)
            check_bytes(out, e["bytes_sent"], f"{addr} {e['origin']} side bytes_sent")
            check_bytes(back, e["bytes_received"], f"{addr} {e['origin']} side bytes_received")


def events_by_port(events, port):
    return [e for e in events if port in (e.get("local_port"), e.get("remote_port"))]


@test
def port_filter_keeps_only_the_listed_ports(env):
    me = str(os.getpid())
    reader = env.reader("-t", "net", "-p", me).wait_ready()
    try:
        with socket.socket() as probe:   # a port that is free now, to allow
            probe.bind(("127.0.0.1", 0))
            wanted = probe.getsockname()[1]
        env.user_tool("observe-filter", "allow", "port", str(wanted))
        with socket.socket() as server:
            server.bind(("127.0.0.1", wanted))
            server.listen()
            with socket.create_connection(("127.0.0.1", wanted)) as client:
                server.accept()[0].close()
                client.recv(1)
        other, _ = tcp_exchange(socket.AF_INET, "127.0.0.1", 10, 10)
        settle()
    finally:
        env.user_tool("observe-filter", "clear", "port")
    events = reader.stop()
    check_eq({"connect", "accept", "tcp_close"}, {e["type"] for e in events_by_port(events, wanted)},
             f"event types on the allowed port {wanted}")
    check_eq([], events_by_port(events, other), f"events on port {other}, not allowed")


@test
def cidr_filter_allows_and_denies_by_longest_prefix(env):
    me = str(os.getpid())
    reader = env.reader("-t", "connect", "-p", me).wait_ready()
    try:
        # 127.0.0.0/8 passes but 127.0.0.2 is denied; IPv6 matches no entry
        # and, as an entry allows, is dropped.
        env.user_tool("observe-filter", "allow", "cidr", "127.0.0.0/8")
        env.user_tool("observe-filter", "deny", "cidr", "127.0.0.2/32")
        shown = env.user_tool("observe-filter", "show").stdout.decode()
        check("127.0.0.2/32\" deny" in shown and "127.0.0.0/8\" allow" in shown, f"show: {shown}")
        one, _ = tcp_exchange(socket.AF_INET, "127.0.0.1", 10, 10)
        two, _ = tcp_exchange(socket.AF_INET, "127.0.0.2", 10, 10)
        six, _ = tcp_exchange(socket.AF_INET6, "::1", 10, 10)
        settle()
        bad = env.user_tool("observe-filter", "allow", "cidr", "10.0.0.1/8", check_rc=False)
    finally:
        env.user_tool("observe-filter", "clear", "cidr")
    events = reader.stop()
    check_eq(1, len(events_of(events, "connect", remote_port=one)), "connect to 127.0.0.1 (allowed)")
    check_eq([], events_of(events, "connect", remote_port=two), "connect to 127.0.0.2 (denied)")
    check_eq([], events_of(events, "connect", remote_port=six), "connect to ::1 (no entry)")
    check(bad.returncode == 1 and b"bits set past its prefix" in bad.stderr,
          f"bad cidr: {bad.returncode} {bad.stderr!r}")


def closed_port(family, addr):
    """A port nothing listens on: bound, then let go."""
    with socket.socket(family) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


@test
def a_refused_connect_shows_the_local_end_its_tcp_close_shows(env):
    me = os.getpid()
    reader = env.reader("-t", "connect,tcp_close", "-p", str(me)).wait_ready()
    ports = {}
    for family, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        ports[addr] = closed_port(family, addr)
        with socket.socket(family) as s:
            check_eq(111, s.connect_ex((addr, ports[addr])), f"connect to {addr} is refused")
    settle()
    events = reader.stop()
    for addr, port in ports.items():
        connects = events_of(events, "connect", remote_port=port)
        closes = events_of(events, "tcp_close", remote_port=port)
        check_eq((1, 1), (len(connects), len(closes)), f"connect and tcp_close events to {addr}")
        c, t = connects[0], closes[0]
        check_eq("ECONNREFUSED", c.get("error"), f"the refused connect's error ({c})")
        check_eq((addr, t["local_port"]), (c["local_addr"], c["local_port"]),
                 f"the refused connect's local end against its tcp_close ({t})")
        check_eq(addr, t["local_addr"], "tcp_close's local address")
