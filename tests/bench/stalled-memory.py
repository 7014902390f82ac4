#!/usr/bin/env python3
"""Memory per stalled client: what one client that stops reading costs a sio server at most.

    python3 tests/bench/stalled-memory.py [--clients 2000] [--driver tokio] [--size 1024]

Starts `sio-flood` (release build), opens CLIENTS WebSocket clients that join room `flood`
and then never read again (a small receive buffer each, so the kernel takes little), and
makes the server emit 1 KiB events to each of them on its own (one encode and one buffer
per client: the worst case) until every queue has filled and been closed ("send buffer
full"). Prints the server's resident memory before, its peak (VmHWM), the growth per client
and what 10 000 such clients would take. No assertion: a measurement for the README.
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def ws_connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(
        (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    return s, buf.split(b"\r\n\r\n", 1)[1]


def send_text(s, text):
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(data)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    s.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def read_text(s, buf):
    """One text frame (server frames are not masked); returns (text, rest)."""
    while True:
        if len(buf) >= 2:
            n = buf[1] & 0x7F
            off = 2
            if n == 126:
                if len(buf) < 4:
                    buf += s.recv(65536)
                    continue
                n = int.from_bytes(buf[2:4], "big")
                off = 4
            elif n == 127:
                n = int.from_bytes(buf[2:10], "big")
                off = 10
            if len(buf) >= off + n:
                return buf[off : off + n].decode(errors="replace"), buf[off + n :]
        buf += s.recv(65536)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--driver", default="tokio")
    ap.add_argument("--size", type=int, default=1024)
    a = ap.parse_args()
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "sio-tests", "--bin", "sio-flood"],
        cwd=ROOT,
        check=True,
    )
    server = subprocess.Popen(
        [os.path.join(ROOT, "target/release/sio-flood"), "--driver", a.driver],
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(server.stdout.readline().split()[1])
    clients = []
    for _ in range(a.clients):
        s, rest = ws_connect(port)
        _, rest = read_text(s, rest)  # open
        send_text(s, "40")
        _, rest = read_text(s, rest)  # CONNECT reply
        send_text(s, '420["join"]')
        _, rest = read_text(s, rest)  # join ack
        clients.append(s)
    control, rest = ws_connect(port)
    _, rest = read_text(control, rest)
    send_text(control, "40")
    _, rest = read_text(control, rest)
    time.sleep(1)
    before = status_kib(server.pid, "VmRSS:")
    # Enough to fill every queue (64 KiB of the limit, plus what the kernel takes) twice.
    count = (512 * 1024) // a.size + 16
    start = {"count": count, "size": a.size, "patience_ms": 0, "each": True}
    send_text(control, "421" + json.dumps(["start", start]))
    while True:
        text, rest = read_text(control, rest)
        if text == "2":
            send_text(control, "3")
        elif text.startswith("431"):
            report = json.loads(text[3:])[0]
            break
    peak = report["rss_peak_kib"]
    closed = sum(1 for _, why in report["disconnects"] if why == "send buffer full")
    per = (peak - before) / a.clients
    print(
        f"STALLED clients={a.clients} closed_send_buffer_full={closed} "
        f"rss_before_kib={before} rss_peak_kib={peak} per_client_kib={per:.1f} "
        f"for_10000_mib={per * 10000 / 1024:.0f}"
    )
    for s in clients:
        s.close()
    server.kill()


if __name__ == "__main__":
    sys.exit(main())
