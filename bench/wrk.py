"""Run wrk (Debian's package) and parse requests/s, p50/p99 latency and errors."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).with_name("latency.lua")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx/3xx responses plus socket errors
    output: str


def ensure_wrk() -> str:
    """The wrk binary; installs Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "wrk"], check=False,
                   stdout=subprocess.DEVNULL)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is missing and `apt-get install -y wrk` did not install it")
    return found


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text.strip())
    if not match:
        raise ValueError(f"unparsable wrk latency {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def parse(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = 0
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    if sockets:
        # "read" errors are the sync worker closing a keep-alive connection: not failures.
        errors += int(sockets.group(1)) + int(sockets.group(3)) + int(sockets.group(4))
    return WrkResult(rps, p50, p99, requests, errors, output)


def run(url: str, *, duration: float, connections: int, threads: int,
        limit: int = 0, timeout: float = 10) -> WrkResult:
    seconds = max(1, round(duration))  # wrk takes whole seconds ("6s", not "6.0s")
    args = [ensure_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", f"{timeout}s", "--latency"]
    env = dict(os.environ)
    if limit:
        args += ["-s", str(LUA)]
        env["WRK_LIMIT"] = str(limit)
    args.append(url)
    done = subprocess.run(args, capture_output=True, text=True, env=env,
                          timeout=duration + 60, check=True)
    return parse(done.stdout)
