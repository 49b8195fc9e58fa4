#!/usr/bin/env python3
"""Bounded load test of the service on loopback: ``POST /v1/check`` of the sample letter with a record and an
explanation, from N concurrent clients, for a fixed number of requests (and at most a time bound).

    python benchmarks/service_load.py                       # starts `imrassist serve` on a free port
    python benchmarks/service_load.py --workers 2 --requests 3000 --concurrency 32
    python benchmarks/service_load.py --url http://127.0.0.1:8000 --token T   # an already running server

Prints requests/s, p50/p90/p99/max latency, errors (non-200 answers and failed connections) and the server's
peak RSS (VmHWM of the server process and its workers, from /proc). Exit code 1 when any request failed, or
with ``--check-targets`` when the targets (>= 300 req/s, p99 <= 100 ms) are missed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "seed-2013-push-therapy.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, body: dict, token: str | None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def _tree_pids(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pids
    for child in children:
        pids.extend(_tree_pids(int(child)))
    return pids


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(peak RSS of the largest process, sum of the peaks over the process tree), MB."""
    peaks = [_status_kb(p, "VmHWM") for p in _tree_pids(pid)]
    return (max(peaks, default=0) / 1024, sum(peaks) / 1024)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree (from /proc), seconds."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for p in _tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def start_server(port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "IMRASSIST_WORKERS": str(workers), "IMRASSIST_LOG_LEVEL": "warning"}
    env.pop("IMRASSIST_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "imrassist.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


async def run_load(url: str, body: bytes | list[bytes], *, requests: int, concurrency: int, duration: float,
                   token: str | None) -> tuple[list[float], dict[str, int], float]:
    import aiohttp

    latencies: list[float] = []
    errors: dict[str, int] = {}
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    remaining = requests
    deadline = time.perf_counter() + duration
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)

    bodies = body if isinstance(body, list) else [body]

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            data = bodies[remaining % len(bodies)]
            t0 = time.perf_counter()
            try:
                async with session.post(url, data=data, headers=headers) as r:
                    await r.read()
                    if r.status != 200:
                        errors[f"HTTP {r.status}"] = errors.get(f"HTTP {r.status}", 0) + 1
                        continue
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                continue
            latencies.append(time.perf_counter() - t0)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s))) - 1))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="base URL of a running server (default: start one on a free loopback port)")
    ap.add_argument("--token", default=os.environ.get("IMRASSIST_TOKEN"))
    ap.add_argument("--workers", type=int, default=int(os.environ.get("IMRASSIST_WORKERS", "1")),
                    help="server worker processes when this script starts the server (default 1)")
    ap.add_argument("--requests", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--duration", type=float, default=120.0, help="stop after this many seconds in any case")
    ap.add_argument("--warmup", type=int, default=200, help="requests before measuring (not counted)")
    ap.add_argument("--vary", action="store_true",
                    help="make every request's explanation distinct (trailing blanks), so no answer comes from the "
                         "server's response cache: measures the checks themselves")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--check-targets", action="store_true", help="exit 1 below 300 req/s or above 100 ms p99")
    args = ap.parse_args(argv)

    proc = None
    if args.url:
        base = args.url.rstrip("/")
        if not base.startswith(("http://127.", "http://localhost", "http://[::1]")):
            raise SystemExit("service_load: loopback URLs only")
    else:
        port = free_port()
        proc = start_server(port, args.workers)
        base = f"http://127.0.0.1:{port}"
    try:
        letter = {"text": SAMPLE.read_text(encoding="utf-8"), "name": SAMPLE.name}
        record = _post(base + "/v1/extract", letter, args.token)
        explanation = _post(base + "/v1/explain?lang=en", letter, args.token)["text"]
        body: bytes | list[bytes] = json.dumps({**letter, "record": record, "explanation": explanation}).encode()
        url = base + "/v1/check"
        if args.vary:  # distinct bodies for the measured run; the warm-up uses others again
            body = [json.dumps({**letter, "record": record, "explanation": explanation + " " * (i + 1)}).encode()
                    for i in range(args.requests)]
            warm = [json.dumps({**letter, "record": record, "explanation": explanation + "\n" * (i + 1)}).encode()
                    for i in range(args.warmup)]
        else:
            warm = body
        if args.warmup:
            asyncio.run(run_load(url, warm, requests=args.warmup, concurrency=args.concurrency, duration=30,
                                 token=args.token))
        server_cpu0 = cpu_seconds(proc.pid) if proc else 0.0
        client_cpu0 = time.process_time()
        lat, errors, elapsed = asyncio.run(run_load(url, body, requests=args.requests, concurrency=args.concurrency,
                                                    duration=args.duration, token=args.token))
        client_cpu = time.process_time() - client_cpu0
        server_cpu = cpu_seconds(proc.pid) - server_cpu0 if proc else None
        done = len(lat) + sum(errors.values())
        figures = {
            "endpoint": "POST /v1/check (record + explanation)" + (", distinct bodies" if args.vary else ""),
            "body_bytes": len(body[0] if isinstance(body, list) else body),
            "concurrency": args.concurrency,
            "workers": args.workers if proc else None,
            "cpus": os.cpu_count(),
            "requests": done,
            "ok": len(lat),
            "errors": sum(errors.values()),
            "error_kinds": errors,
            "seconds": round(elapsed, 3),
            "req_per_s": round(done / elapsed, 1) if elapsed else None,
            "p50_ms": round(pct(lat, 50) * 1000, 2),
            "p90_ms": round(pct(lat, 90) * 1000, 2),
            "p99_ms": round(pct(lat, 99) * 1000, 2),
            "max_ms": round(max(lat) * 1000, 2) if lat else None,
            "mean_ms": round(statistics.fmean(lat) * 1000, 2) if lat else None,
            "client_cpu_ms_per_request": round(client_cpu / done * 1000, 3) if done else None,
            "server_cpu_ms_per_request": round(server_cpu / done * 1000, 3) if done and server_cpu is not None else None,
        }
        if proc:
            largest, total = peak_rss_mb(proc.pid)
            figures["server_peak_rss_mb"] = round(largest, 1)
            figures["server_peak_rss_total_mb"] = round(total, 1)
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"{figures['endpoint']}: {figures['requests']} requests, {args.concurrency} clients, "
              f"{figures['seconds']} s")
        print(f"  throughput  {figures['req_per_s']} req/s")
        print(f"  latency     p50 {figures['p50_ms']} ms | p90 {figures['p90_ms']} ms | p99 {figures['p99_ms']} ms | "
              f"max {figures['max_ms']} ms")
        print(f"  errors      {figures['errors']} {errors or ''}")
        print(f"  CPU         server {figures['server_cpu_ms_per_request']} ms/request, "
              f"load client {figures['client_cpu_ms_per_request']} ms/request (same machine)")
        if proc:
            print(f"  server RSS  peak {figures['server_peak_rss_mb']} MB (largest process), "
                  f"{figures['server_peak_rss_total_mb']} MB (all {args.workers} worker(s) + supervisor)")
    failed = figures["errors"] > 0
    if args.check_targets and (figures["req_per_s"] < 300 or figures["p99_ms"] > 100):
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
