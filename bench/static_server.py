"""The load generator's own ceiling: a server that answers every request with the same bytes,
without parsing HTTP at all. What wrk drives through it is what wrk can send on this machine;
the bare aiohttp handler's rate means something only if it is well below this one."""
from __future__ import annotations

import asyncio
import sys

BODY = b'{"ok": true, "replies": []}'
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
          + str(len(BODY)).encode() + b"\r\n\r\n" + BODY)


class Canned(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        # wrk writes each request whole; one answer per request line seen.
        self.transport.write(ANSWER * data.count(b" HTTP/1.1\r\n"))


async def serve(port: int) -> None:
    server = await asyncio.get_running_loop().create_server(Canned, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
