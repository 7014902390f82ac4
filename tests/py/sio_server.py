"""A python-socketio server (aiohttp) for sio's client interop test.

    tests/py/.venv/bin/python tests/py/sio_server.py

Prints `listening <port>` once ready (a free loopback port). Namespace "/":
  echo (*args)          -> acks with the same arguments (binary stays binary)
  echo-emit (*args)     -> emits "echo" back with the same arguments
  ask-client ()         -> calls the client's "question" with 42 (timeout 2 s) and acks
                           {"answer": <the client's ack arguments>} or {"error": ...}
  whoami ()             -> acks {"sid": <socket id>, "auth": <auth>, "transport": <name>}
"""

import asyncio
import sys

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=1)
app = web.Application()
sio.attach(app)
auths = {}


@sio.event
async def connect(sid, environ, auth):
    auths[sid] = auth


@sio.on("echo")
async def echo(sid, *args):
    return args


@sio.on("echo-emit")
async def echo_emit(sid, *args):
    await sio.emit("echo", args, to=sid)


@sio.on("ask-client")
async def ask_client(sid):
    try:
        answer = await sio.call("question", 42, to=sid, timeout=2)
        if isinstance(answer, tuple):
            answer = list(answer)
        return {"answer": answer}
    except Exception as e:  # noqa: BLE001 - reported to the test
        return {"error": repr(e)}


@sio.on("whoami")
async def whoami(sid):
    return {"sid": sid, "auth": auths.get(sid), "transport": sio.transport(sid)}


async def main():
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
