#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""TLS peers on loopback for the TLS tests, with Python's ssl module (which
calls OpenSSL's SSL_read_ex and SSL_write_ex only):
  https PORT CERT KEY BODY   answer one GET with BODY, then exit
  sink PORT CERT KEY N       read N bytes from one client, print their sha256,
                             answer "got N", exit
  send PORT N                connect, print "connected", wait for a line on
                             stdin, send N bytes of payload(N), print the answer
"""
import hashlib
import http.server
import socket
import ssl
import sys


def payload(n):
    """Bytes that are not UTF-8 and do not repeat at record boundaries."""
    return bytes(i % 251 for i in range(n))


def server_context(cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    return ctx


def listener(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1)
    print("listening", flush=True)
    return sock


def https(port, cert, key, body):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    server.socket = server_context(cert, key).wrap_socket(server.socket, server_side=True)
    print("listening", flush=True)
    server.handle_request()


def sink(port, cert, key, n):
    conn, _ = server_context(cert, key).wrap_socket(listener(port), server_side=True).accept()
    got = bytearray()
    while len(got) < n:
        chunk = conn.recv(65536)
        if not chunk:
            break
        got += chunk
    print(f"received {len(got)} {hashlib.sha256(got).hexdigest()}", flush=True)
    conn.sendall(f"got {len(got)}\n".encode())
    conn.close()


def send(port, n):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    print("connected", flush=True)
    sys.stdin.readline()
    conn.sendall(payload(n))
    print(conn.recv(100).decode().strip(), flush=True)
    conn.close()


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "https":
        https(int(args[0]), args[1], args[2], args[3])
    elif mode == "sink":
        sink(int(args[0]), args[1], args[2], int(args[3]))
    elif mode == "send":
        send(int(args[0]), int(args[1]))
    else:
        sys.exit(f"unknown mode {mode}")
