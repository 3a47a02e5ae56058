"""Load for bench_service.py: keep-alive HTTP/1.1 clients on raw asyncio sockets, in their own
processes.

httpx costs about a millisecond of CPU per request; on a 2-core machine shared with the server
that would measure the clients. These clients write pre-encoded requests and read responses by
their ``Content-Length``, so nearly all the CPU goes to the server. Each client process runs
``clients / processes`` connections, each sending its next request as soon as the previous
answer arrived, until the deadline; it reports every latency and status.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from typing import Any

__all__ = ["run_load"]


def _request(host: str, port: int, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return (
        f"POST /score HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def _connection(
    host: str,
    port: int,
    requests: list[bytes],
    first: int,
    step: int,
    stop: float,
    results: list[tuple[float, int]],
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    index = first
    try:
        while time.monotonic() < stop:
            start = time.perf_counter()
            writer.write(requests[index % len(requests)])
            status_line = await reader.readline()
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
                elif name.strip().lower() == "connection" and "close" in value.lower():
                    close = True
            await reader.readexactly(length)
            status = int(status_line.split()[1]) if status_line else 0
            results.append((time.perf_counter() - start, status))
            index += step
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
    finally:
        writer.close()


def _client_process(
    host: str,
    port: int,
    bodies: list[dict[str, Any]],
    connections: list[int],
    total: int,
    seconds: float,
    start_at: float,
    queue: Any,
) -> None:
    requests = [_request(host, port, body) for body in bodies]
    results: list[tuple[float, int]] = []

    async def main() -> None:
        await asyncio.sleep(max(0.0, start_at - time.time()))
        stop = time.monotonic() + seconds
        await asyncio.gather(
            *(_connection(host, port, requests, i, total, stop, results) for i in connections)
        )

    asyncio.run(main())
    queue.put((results, time.time()))  # when its last answer arrived


def run_load(
    host: str, port: int, bodies: list[dict[str, Any]], clients: int, seconds: float, processes: int = 2
) -> tuple[list[float], list[int], float]:
    """``clients`` connections in ``processes`` processes for ``seconds``; latencies (s), statuses,
    and the wall time the load ran (from the common start to the last answer: requests sent
    before the deadline are answered after it)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 2.0  # every process connected and waiting
    workers = [
        context.Process(
            target=_client_process,
            args=(host, port, bodies, list(range(p, clients, processes)), clients, seconds, start_at, queue),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    reports = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
    results = [item for found, _ in reports for item in found]
    elapsed = max(finished for _, finished in reports) - start_at
    return [r[0] for r in results], [r[1] for r in results], elapsed
