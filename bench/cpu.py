"""`.venv/bin/python -m bench.cpu [--postgres]`: where the CPU of a request goes, by process.

Throughput ratios say how fast; this says who pays. Around each load run it reads the CPU
time (/proc/<pid>/stat: user + system) of the gunicorn tree, of every PostgreSQL process,
of the sandbox and of this process's own clients, and prints milliseconds per request:
the baseline, the pay page and the API read under wrk, then payments made directly with
the stripe SDK and through POST /pay/<token>/confirm, 8 at a time, as in the bench.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import Any

import requests

from bench import seed, servers, wrk
from bench.payclient import ConfirmClient, confirmation_tokens, direct_call

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def tree_seconds(pid: int) -> float:
    """A process and its children (gunicorn's master and workers)."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                              text=True, check=False).stdout.split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(c)) for c in children)


def postgres_seconds() -> float:
    pids = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True,
                          check=False).stdout.split()
    total = 0.0
    for pid in pids:
        with suppress(FileNotFoundError, ProcessLookupError):  # a backend that just exited
            total += cpu_seconds(int(pid))
    return total


def own_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                   resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def measured(label: str, count: Callable[[], int], processes: dict[str, Callable[[], float]]
             ) -> None:
    before = {name: read() for name, read in processes.items()}
    n = count()
    parts = [f"{name} {1000 * (read() - before[name]) / n:5.2f}"
             for name, read in processes.items()]
    print(f"{label:<31} ms of CPU per request: " + ", ".join(parts), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu", description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--concurrency", type=int, default=8, help="payments at a time (8)")
    parser.add_argument("--no-pages", action="store_true", help="payments only")
    opts = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="paylink-cpu-"))
    url = (servers.recreate_pg_database("paylink_bench_cpu") if opts.postgres
           else f"sqlite:///{tmp / 'cpu.db'}")
    seed.reset(url)
    target = seed.target(3)
    sandbox = servers.SandboxProcess(tmp / "sandbox.log")
    shape = {"workers": opts.workers, "threads": opts.threads}
    base = servers.Gunicorn("bench.baseline_app:app", servers.app_env("sqlite://"),
                            tmp / "baseline.log", **shape)
    app = servers.Gunicorn("wsgi:app", servers.app_env(url, sandbox.url, RATELIMIT_ENABLED="0"),
                           tmp / "app.log", **shape)
    try:
        requests.get(f"{app.url}/pay/{target['token']}", timeout=10).raise_for_status()
        for label, server, path in () if opts.no_pages else (
                ("baseline", base, "/"), ("GET /pay/<token>", app, f"/pay/{target['token']}"),
                ("GET /api/v1/invoices/<uuid>", app, f"/api/v1/invoices/{target['uuid']}")):
            def load(server: Any = server, path: str = path) -> int:
                return wrk.run(server.url + path, duration=5, connections=16,
                               threads=2).requests

            measured(label, load, {"server": lambda s=server: tree_seconds(s.pid),
                                   "postgres": postgres_seconds, "wrk": own_seconds})
        payments(app, sandbox, opts.payments, opts.concurrency)
    finally:
        app.stop()
        base.stop()
        sandbox.stop()
    return 0


def payments(app: servers.Gunicorn, sandbox: servers.SandboxProcess, n: int,
             concurrency: int = 8) -> None:
    import stripe

    local = threading.local()

    def sdk() -> stripe.StripeClient:
        if not hasattr(local, "client"):
            local.client = stripe.StripeClient("sk_test_bench", max_network_retries=0,
                                               base_addresses={"api": sandbox.url})
        return local.client

    def direct(call: dict[str, Any]) -> bool:
        intent = sdk().v1.payment_intents.create(params=call["params"], options=call["options"])
        return intent.status == "succeeded"

    client = ConfirmClient(app.url)

    def via_app(args: tuple[dict[str, Any], str]) -> bool:
        status, _ = client.confirm(*args)
        return status == 200

    def run(fn: Callable[[Any], bool], work: list[Any]) -> int:
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            ok = sum(pool.map(fn, work))
        print(f"{'':<31} {len(work) / (time.perf_counter() - started):.0f} per second, "
              f"{ok}/{len(work)} succeeded", flush=True)
        return len(work)

    processes = {"app": lambda: tree_seconds(app.pid), "postgres": postgres_seconds,
                 "sandbox": lambda: cpu_seconds(sandbox.pid), "clients": own_seconds}
    targets = [seed.target(3) for _ in range(n)]
    direct_targets = [{"uuid": str(uuid.uuid4()), "amount_cents": t["amount_cents"]}
                      for t in targets]
    # Built before the clock starts: the direct side times only the SDK and the sandbox.
    work = [direct_call(target, token, "cpu-" + target["uuid"][-8:])
            for target, token in zip(direct_targets, confirmation_tokens(sdk, n), strict=True)]
    measured("payment, stripe SDK direct", lambda: run(direct, work), processes)
    work = list(zip(targets, confirmation_tokens(sdk, n), strict=True))
    measured("payment, /pay/<token>/confirm", lambda: run(via_app, work), processes)


if __name__ == "__main__":
    sys.exit(main())
