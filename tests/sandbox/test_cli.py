"""`python -m sandbox` starts a server and says where it listens."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def test_cli_starts_and_serves():
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--port", "0", "--webhook-secret", "whsec_cli"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert requests.get(url + "/v3/", timeout=5).text.startswith("/*")
        config = requests.get(url + "/_sandbox/config", timeout=5).json()
        assert config["webhook_secret"] == "whsec_cli"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
