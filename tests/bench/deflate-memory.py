#!/usr/bin/env python3
"""Memory per idle WebSocket connection with permessage-deflate, beside the uncompressed one,
in one run.

    python3 tests/bench/deflate-memory.py [--clients 2000] [--driver tokio]

Starts the benchmark server (`tests/bench` release build of `sio-server`, one thread) once per
setting, opens CLIENTS WebSocket clients that join `/` and then sit idle, and prints the
server's resident memory growth per connection:

  off          permessage-deflate off (the default; the README's idle figure)
  takeover     on, context takeover (the reference's default when on): the server compresses
               every message, so it holds a compressor from the `open` packet on
  no-takeover  on, `server_no_context_takeover` + `client_no_context_takeover`: nothing kept
               between messages

Each "on" setting is measured twice: idle right after joining, and idle after one compressed
2 KB message each way (an `echo`), which also gives the server an inflater under takeover.
The clients offer `permessage-deflate; client_max_window_bits` (as browsers) and inflate with
Python's zlib. No assertion: a measurement for the README.
"""

import argparse
import base64
import os
import re
import socket
import subprocess
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


class Client:
    def __init__(self, port, offer):
        s = socket.create_connection(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if offer else ""
        s.sendall(
            (
                "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
            ).encode()
        )
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(4096)
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        self.agreed = b"permessage-deflate" in head.lower()
        nct = b"client_no_context_takeover" in head.lower()
        self.s = s
        self.inflater = zlib.decompressobj(-15)
        self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
        self.nct = nct

    def recv_message(self):
        while True:
            while len(self.buf) < 2 or len(self.buf) < self._frame_len():
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError
                self.buf += chunk
            first, payload = self._take()
            if first & 0x0F in (1, 2):
                if first & 0x40:
                    payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
                return payload

    def _frame_len(self):
        n = self.buf[1] & 0x7F
        if n == 126:
            return 4 + int.from_bytes(self.buf[2:4], "big") if len(self.buf) >= 4 else 1 << 30
        if n == 127:
            return 10 + int.from_bytes(self.buf[2:10], "big") if len(self.buf) >= 10 else 1 << 30
        return 2 + n

    def _take(self):
        n = self._frame_len()
        hdr = {126: 4, 127: 10}.get(self.buf[1] & 0x7F, 2)
        first, payload = self.buf[0], self.buf[hdr:n]
        self.buf = self.buf[n:]
        return first, payload

    def send_text(self, data):
        first = 0x81
        if self.agreed:
            data = self.deflater.compress(data) + self.deflater.flush(zlib.Z_SYNC_FLUSH)
            data = data[:-4]
            if self.nct:
                self.deflater = zlib.compressobj(6, zlib.DEFLATED, -15)
            first |= 0x40
        n = len(data)
        if n < 126:
            head = bytes([first, 0x80 | n])
        elif n < 65536:
            head = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            head = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
        self.s.sendall(head + b"\x00\x00\x00\x00" + data)


def measure(binary, driver, setting, clients, exchange):
    proc = subprocess.Popen(
        [binary, "--driver", driver, "--deflate", setting],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        port = int(proc.stdout.readline().split()[1])
        time.sleep(0.3)
        before = rss_kib(proc.pid)
        conns = []
        text = ",".join(str(i * 7919 % 10007) for i in range(400)).encode()[:2000]
        for _ in range(clients):
            c = Client(port, setting != "off")
            assert c.agreed == (setting != "off"), "extension not agreed"
            assert c.recv_message().startswith(b"0{"), "open packet"
            c.send_text(b"40")
            assert c.recv_message().startswith(b"40{"), "CONNECT answer"
            if exchange:
                c.send_text(b'42["echo","' + text + b'"]')
                assert text in c.recv_message(), "echo"
            conns.append(c)
        time.sleep(2)
        after = rss_kib(proc.pid)
        for c in conns:
            c.s.close()
        return before, after
    finally:
        proc.kill()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=2000)
    ap.add_argument("--driver", default="tokio")
    a = ap.parse_args()
    binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "target")), "release", "sio-server")
    if not os.path.exists(binary):
        subprocess.run(["cargo", "build", "--quiet", "--release", "--manifest-path", os.path.join(HERE, "Cargo.toml"), "--bin", "sio-server"], check=True)
    print(f"driver={a.driver} clients={a.clients}")
    for setting, exchange in [("off", False), ("takeover", False), ("takeover", True), ("no-takeover", False), ("no-takeover", True)]:
        before, after = measure(binary, a.driver, setting, a.clients, exchange)
        per = (after - before) / a.clients
        what = "after one 2 KB echo" if exchange else "after joining"
        print(f"DEFLATE setting={setting} idle={what.replace(' ', '-')} rss_before_kib={before} rss_after_kib={after} kib_per_conn={per:.1f}")


if __name__ == "__main__":
    main()
