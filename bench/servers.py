"""Processes for the bench and the load/fault tests: gunicorn, the sandbox, databases.

Each server is a real subprocess (`gunicorn wsgi:app`, `python -m sandbox`), started on a
free port and stopped by its own pid, never by name.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s ({last})")


class Process:
    """A subprocess in its own session with its output in a log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def app_env(database_url: str, sandbox_url: str | None = None, **extra: Any) -> dict[str, str]:
    """The environment a production-style `gunicorn wsgi:app` reads its config from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "RATELIMIT_"))}
    env.update({
        "DATABASE_URL": database_url, "SECRET_KEY": "bench-secret-key",
        "PAYLINK_BASE_URL": "http://127.0.0.1", "LOG_LEVEL": "INFO",
        "STRIPE_SECRET_KEY": "sk_test_bench", "STRIPE_PUBLISHABLE_KEY": "pk_test_bench",
        "STRIPE_WEBHOOK_SECRET": "whsec_sandbox", "PYTHONPATH": str(ROOT),
    })
    if sandbox_url:
        env["STRIPE_API_BASE"] = sandbox_url
        env["STRIPE_JS_URL"] = sandbox_url + "/v3/"
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Gunicorn(Process):
    """`gunicorn <spec>` on a free port; `.url` once it answers `health`."""

    def __init__(self, spec: str, env: dict[str, str], log_path: Path, *, workers: int = 4,
                 threads: int = 4, health: str = "/healthz", timeout: int = 30,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                "--workers", str(workers), "--threads", str(threads),
                "--timeout", str(timeout), "--graceful-timeout", "5",
                "--log-level", "warning", spec]
        super().__init__(args, env, log_path)
        wait_http(self.url + health, proc=self.proc)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.pid)],
                             capture_output=True, text=True, check=False).stdout
        return [int(p) for p in out.split()]

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


class SandboxProcess(Process):
    """`python -m sandbox --port N` as its own process."""

    def __init__(self, log_path: Path, port: int | None = None, **options: str) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [sys.executable, "-m", "sandbox", "--port", str(self.port)]
        for key, value in options.items():
            args += ["--" + key.replace("_", "-"), str(value)]
        super().__init__(args, {**os.environ, "PYTHONPATH": str(ROOT)}, log_path)
        wait_http(self.url + "/_sandbox/config", proc=self.proc)

    def configure(self, **config: Any) -> dict[str, Any]:
        response = requests.post(self.url + "/_sandbox/config", json=config, timeout=10)
        response.raise_for_status()
        return response.json()


def recreate_pg_database(name: str) -> str:
    """Drop and create a database of our own (never the unit tests' `test`); its URL."""
    drop_pg_database(name, create=True)
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(name: str, create: bool = False) -> None:
    import psycopg

    assert name != "test", "the unit tests own the `test` database"
    conn = psycopg.connect(PG_ADMIN_URL, connect_timeout=5)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            if create:
                cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def postgres_available() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        import psycopg

        psycopg.connect(PG_ADMIN_URL, connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".strip()
    return None
