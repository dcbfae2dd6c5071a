# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The server name a TLS client asks for (SNI), carried by each of its
connection's records: set through OpenSSL's SSL_ctrl (openssl s_client
-servername, curl), GnuTLS's gnutls_server_name_set (gnutls-cli
--sni-hostname), and read from a Go *tls.Conn (tests/test_tls_go.py). A
connection with no name has no "sni"; the server side of OpenSSL and GnuTLS
is not given one (what a server received is not probed)."""
from harness import check, check_eq, run, settle
from test_tls import (PEER, PYTHON, certificate, data_of, exchange, free_port, read_line, start,
                      text_of, tls_reader)
from harness import events_of, test_list

TESTS, test = test_list()


def check_sni(records, expected, what):
    check(records, f"records of {what}")
    check_eq([expected] * len(records), [e.get("sni") for e in records], f"sni of {what}")


@test
def openssl_s_client_servername_is_the_sni_of_every_record_of_its_connection(env):
    events, server, client = exchange(env, ["openssl", "s_client", "-connect", "127.0.0.1:PORT",
                                            "-servername", "ossl.observe.test", "-quiet"])
    check_sni(data_of(events, client.pid, "sent") + data_of(events, client.pid, "received"),
              "ossl.observe.test", "s_client's records")
    theirs = data_of(events, server.pid, "sent") + data_of(events, server.pid, "received")
    check(theirs and all("sni" not in e for e in theirs), f"s_server's records have none: {theirs}")
    check(env.stats()["tls"]["server_names"] > 0, "server_names counted in observe-stats")


@test
def a_client_that_names_no_server_has_no_sni(env):
    # s_client sends no SNI for an IP address unless told (-servername).
    events, _, client = exchange(env, ["openssl", "s_client", "-connect", "127.0.0.1:PORT",
                                       "-noservername", "-quiet"])
    mine = data_of(events, client.pid, "sent") + data_of(events, client.pid, "received")
    check(mine and all("sni" not in e for e in mine), f"no sni: {mine}")


@test
def gnutls_cli_sni_hostname_is_the_sni_of_its_handshake_and_data(env):
    events, _, client = exchange(env, ["gnutls-cli", "--insecure", "-p", "PORT",
                                       "--sni-hostname", "gnutls.observe.test", "127.0.0.1"])
    check_sni(data_of(events, client.pid, "sent") + data_of(events, client.pid, "received"),
              "gnutls.observe.test", "gnutls-cli's records")
    check_sni(events_of(events, "tls_handshake", pid=client.pid), "gnutls.observe.test",
              "gnutls-cli's handshake")


@test
def curl_to_a_host_name_carries_it_as_the_sni(env):
    port = free_port()
    cert, key = certificate(env)
    reader = tls_reader(env, "-c", "curl")
    try:
        server = start(env, [PYTHON, PEER, "https", str(port), cert, key, "body-for-sni"])
        check_eq("listening\n", read_line(server, "the python server"), "python server")
        res = run(["curl", "-sk", "--resolve", f"curl.observe.test:{port}:127.0.0.1",
                   f"https://curl.observe.test:{port}/sni-path"])
        check_eq(b"body-for-sni", res.stdout, "curl's output")
        server.wait(10)
        settle()
    finally:
        events = reader.stop()
    mine = [e for e in events if e["type"] in ("tls_data", "tls_handshake")]
    check("GET /sni-path" in text_of([e for e in mine if e.get("direction") == "sent"]),
          f"curl's request: {mine}")
    check_sni(mine, "curl.observe.test", "curl's records and handshake")
