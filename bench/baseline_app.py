"""The baseline: a minimal Flask endpoint under the same gunicorn configuration as the app.

`gunicorn bench.baseline_app:app`; every ratio in the bench table is against this.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello, paylink"


@app.get("/healthz")
def healthz() -> str:
    return "ok"
