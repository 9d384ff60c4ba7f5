"""A POST written to the socket in pieces, the way a long body crosses the internet.

A body larger than one TCP segment (1,448 bytes of payload on a typical 1,500-byte path) reaches
the server in several reads; a server that reads once gets the first piece only. aiohttp's
client hands the kernel the whole body at once, so on loopback it arrives in one read and hides
the problem: this writes a real HTTP/1.1 request by hand on an asyncio stream, a piece at a
time with a pause after each, with ``Content-Length`` or with chunked transfer encoding.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

SEGMENT = 1448


def pieces(data: bytes, size: int = SEGMENT) -> list[bytes]:
    return [data[start:start + size] for start in range(0, len(data), size)]


async def post_in_segments(url: str, body: bytes, headers: dict[str, str], *, chunked: bool = False,
                           segment: int = SEGMENT, pause: float = 0.05) -> tuple[int, bytes]:
    """POST ``body`` to ``url`` in ``segment``-byte writes; the answer's status and body."""
    address = urlsplit(url)
    lines = [f"POST {address.path or '/'} HTTP/1.1", f"Host: {address.hostname}:{address.port}",
             "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        # Each piece is one chunk: the server must join chunks as well as segments.
        payload = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces(body, segment)) + b"0\r\n\r\n"
    else:
        lines.append(f"Content-Length: {len(body)}")
        payload = body
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        for piece in pieces(request, segment):
            try:
                writer.write(piece)
                await writer.drain()
            except ConnectionError:  # the server answered (a refusal) and closed before the end
                break
            await asyncio.sleep(pause)
        answer = await reader.read()
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except ConnectionError:
            pass
    head, _, rest = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    if b"transfer-encoding: chunked" in head.lower():
        rest = _unchunk(rest)
    return status, rest


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + data[:size], data[size + 2:]
    return out
