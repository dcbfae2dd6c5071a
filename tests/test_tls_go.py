# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Go's crypto/tls, probed in a Go binary built here from tests/helpers/tls_go.go
(net/http client and server on loopback) and given with --tls-binary:
crypto/tls.(*Conn).Write and Read entered by symbol and left at each of their
return instructions. HTTP/1.1 comes out as text; HTTP/2 as its binary frames
(HPACK-compressed headers are not decoded, DATA frames carry the body as is)."""
import json
import os
import struct
import subprocess

from harness import IN_GUEST, MEMBER, Failure, Skip, check, check_eq, host_only, run, settle
from test_tls import certificate, data_of, finish, free_port, read_line, start, text_of, tls_reader
from harness import test_list

TESTS, test = test_list()
RUN_ORDER = 80  # after the collectors: it reloads the test load

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "tls_go.go")
GO_WRITE, GO_READ = "crypto/tls.(*Conn).Write", "crypto/tls.(*Conn).Read"
H2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def go_peer(env):
    """The Go peer: make test builds it (build/test-tls-go); else built here
    once per run with Debian's Go (the standard library comes precompiled: a
    link of a second or two), but not under qemu, which would emulate it."""
    built = os.path.join(env.build, "test-tls-go")
    if os.path.exists(built):
        return os.path.realpath(built)
    if IN_GUEST:
        raise Skip("the Go peer is built on the host (make vmtest builds build/test-tls-go)")
    binary = os.path.join(env.tmp, "tls-go")
    if not os.path.exists(binary):
        cache = os.path.join(env.tmp, "go-cache")
        go_env = dict(os.environ, HOME=env.tmp, GOCACHE=cache, GOPATH=os.path.join(env.tmp, "go"),
                      GO111MODULE="off", CGO_ENABLED="0", GOFLAGS="")
        run(["go", "build", "-o", binary, SOURCE], env=go_env)
    return binary


def go_exchange(env, proto, requests):
    """The Go server answers `requests` GETs of the Go client over one
    connection; observe is loaded with the Go binary as a --tls-binary.
    Returns the records, the server, the client and what the client printed."""
    binary = go_peer(env)
    cert, key = certificate(env)
    port = free_port()
    env.load("--tls-binary", binary)
    server = None
    try:
        reader = tls_reader(env, "-c", os.path.basename(binary)[:15])
        try:
            server = start(env, [binary, "serve", str(port), cert, key, "body-from-go"])
            check_eq("listening\n", read_line(server, "the Go server"), "Go server")
            client = run([binary, "get", f"https://127.0.0.1:{port}/go-path", "go.observe.test",
                          proto, str(requests)], timeout=30)
            settle()
        finally:
            if server:
                finish(server)
            events = reader.stop()
    finally:
        env.load()
    return events, server, client, client.stdout.decode()


def client_pid(events, server):
    pids = {e["pid"] for e in events if e["type"] == "tls_data"} - {server.pid}
    check_eq(1, len(pids), f"pids of the client's records ({pids})")
    return pids.pop()


def check_complete(records):
    for e in records:
        check_eq(e["call_len"], e["len"] + e["missing"], f"len + missing of {e}")
        check_eq("go", e["library"], f"library of {e}")


@test
def a_go_http1_client_and_server_are_captured_at_their_return_instructions(env):
    events, server, _, printed = go_exchange(env, "http1", 2)
    check_eq("HTTP/1.1 body-from-go\n" * 2, printed, "what the Go client printed")
    client = client_pid(events, server)
    sent, back = data_of(events, client, "sent"), data_of(events, client, "received")
    request = "GET /go-path HTTP/1.1\r\nHost: 127.0.0.1:"
    check_eq(2, text_of(sent).count(request), f"the client's two requests in what it wrote: {sent}")
    check({e["function"] for e in sent} == {GO_WRITE}, f"the client writes with {GO_WRITE}")
    answer = text_of(back)
    check(answer.count("HTTP/1.1 200 OK\r\n") == 2 and answer.count("body-from-go") == 2,
          f"the two answers in what the client read: {answer!r}")
    check({e["function"] for e in back} == {GO_READ}, f"the client reads with {GO_READ}")
    check_eq(1, len({e["conn"] for e in sent + back}), "connections (*tls.Conn) of the client")
    got, answered = data_of(events, server.pid, "received"), data_of(events, server.pid, "sent")
    check_eq(2, text_of(got).count(request), f"the requests in what the server read: {got}")
    check_eq(2, text_of(answered).count("body-from-go"), f"the server's answers: {answered}")
    check_complete(sent + back + got + answered)
    # The name the client asked for: from its Conn, and the server's Conn
    # holds what it received.
    for who, records in (("client", sent + back), ("server", got + answered)):
        check_eq({"go.observe.test"}, {e.get("sni") for e in records}, f"sni of the {who}'s records")
    # Reads and writes of one connection are paired by goroutine, not thread:
    # net/http reads on a goroutine of its own, which may change threads.
    check(all(e["latency_ns"] < 10**10 for e in sent + back), "latencies of whole calls")


def frames(data):
    """HTTP/2 frames (length, type, stream, payload) tiling data exactly."""
    out, i = [], 0
    while i < len(data):
        if i + 9 > len(data):
            raise Failure(f"a frame header cut at {i} of {len(data)}: {data[i:]!r}")
        length = int.from_bytes(data[i:i + 3], "big")
        kind, stream = data[i + 3], struct.unpack(">I", data[i + 5:i + 9])[0] & 0x7fffffff
        out.append((length, kind, stream, data[i + 9:i + 9 + length]))
        i += 9 + length
    check_eq(len(data), i, "frames tiling the bytes")
    return out


def joined_bytes(records):
    return b"".join(e["data"].encode("utf-8", "surrogateescape") for e in records)


HEADERS, DATA = 1, 0


@test
@host_only
def a_go_http2_exchange_shows_its_frames_with_headers_compressed_and_data_as_is(env):
    events, server, _, printed = go_exchange(env, "http2", 1)
    check_eq("HTTP/2.0 body-from-go\n", printed, "what the Go client printed")
    client = client_pid(events, server)
    sent, back = data_of(events, client, "sent"), data_of(events, client, "received")
    check_complete(sent + back)
    out = joined_bytes(sent)
    check(out.startswith(H2_PREFACE.encode()), f"the HTTP/2 preface first: {out[:40]!r}")
    requests = [f for f in frames(out[len(H2_PREFACE):]) if f[1] == HEADERS]
    check(len(requests) == 1 and requests[0][2] == 1, f"one HEADERS frame on stream 1: {requests}")
    # HPACK: the request's headers are compressed (Huffman), not text.
    check(b"/go-path" not in requests[0][3], f"the path HPACK-encoded: {requests[0][3]!r}")
    answer = frames(joined_bytes(back))
    bodies = [f[3] for f in answer if f[1] == DATA and f[2] == 1]
    check_eq(b"body-from-go", b"".join(bodies), "the DATA frames of stream 1, as sent")
    check(any(f[1] == HEADERS and f[2] == 1 for f in answer), f"the answer's HEADERS: {answer}")


@test
@host_only
def the_go_binary_is_a_target_with_both_functions_attached(env):
    binary = go_peer(env)
    env.load("--tls-binary", binary)
    try:
        res = env.user_tool("observe-tls", "--targets", user=MEMBER)
    finally:
        env.load()
    targets = [json.loads(line) for line in res.stdout.decode().splitlines()]
    mine = [t for t in targets if t["path"] == os.path.realpath(binary)]
    check(len(mine) == 1 and mine[0]["library"] == "go" and
          mine[0]["functions"][GO_WRITE] == "attached" and
          mine[0]["functions"][GO_READ] == "attached" and
          mine[0]["functions"]["SSL_write"] == "symbol missing",
          f"the Go binary among the targets: {mine}")
    # Stripped, a Go binary has no symbols to find its functions by (and
    # no BoringSSL in it): said so, and probed nowhere.
    stripped = os.path.join(env.tmp, "tls-go-stripped")
    run(["strip", "-o", stripped, binary])
    out = env.load("--tls-binary", stripped).stdout.decode()
    try:
        check(f"{stripped}: nothing probed: no TLS symbols" in out, f"the loader says so: {out!r}")
    finally:
        env.load()
