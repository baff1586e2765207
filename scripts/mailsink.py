"""The demo's local SMTP sink: every message is saved as an .eml file, its attachments
(the PDF receipt, the booking's .ics) beside it, and listed on a small local web page.

    .venv/bin/python scripts/mailsink.py --smtp-port 8025 --web-port 8026 --dir instance/mail
"""

from __future__ import annotations

import argparse
import html
import re
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

from aiosmtpd.controller import Controller


class Saver:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = len(list(folder.glob("*.eml")))
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.count += 1
            slug = re.sub(r"[^A-Za-z0-9]+", "-", str(message["Subject"] or "mail"))[:60]
            stem = f"{self.count:04d}-{slug.strip('-')}"
        (self.folder / f"{stem}.eml").write_bytes(envelope.content)
        for part in message.iter_attachments():
            name = Path(part.get_filename() or "attachment").name
            target = self.folder / f"{stem}-files"
            target.mkdir(exist_ok=True)
            (target / name).write_bytes(part.get_payload(decode=True) or b"")
        print(f"mail: {stem}.eml to {message['To']}", flush=True)
        return "250 OK"


def page(folder: Path) -> bytes:
    rows = []
    for eml in sorted(folder.glob("*.eml"), reverse=True):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        files = sorted((folder / f"{eml.stem}-files").glob("*"))
        links = " ".join(f'<a href="/{quote(f.parent.name)}/{quote(f.name)}">{html.escape(f.name)}'
                         "</a>" for f in files)
        rows.append(f"<article><h2>{html.escape(str(message['Subject']))}</h2>"
                    f"<p>To {html.escape(str(message['To']))} · {html.escape(str(message['Date']))}"
                    f" · <a href=\"/{quote(eml.name)}\">.eml</a> {links}</p>"
                    f"<pre>{html.escape(text)}</pre></article>")
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>paylink demo mail</title>"
            "<h1>paylink demo mail</h1>" + ("".join(rows) or "<p>No mail yet.</p>")).encode()


def serve(folder: Path, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            if self.path in ("/", ""):
                data, kind = page(folder), "text/html; charset=utf-8"
            else:
                path = (folder / unquote(self.path.lstrip("/"))).resolve()
                if folder.resolve() not in path.parents or not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                kind = {".pdf": "application/pdf", ".ics": "text/calendar",
                        ".eml": "message/rfc822"}.get(path.suffix, "application/octet-stream")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--web-port", type=int, default=8026)
    parser.add_argument("--dir", default="instance/mail")
    args = parser.parse_args()
    folder = Path(args.dir)
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Saver(folder), hostname="127.0.0.1", port=args.smtp_port)
    controller.start()
    serve(folder, args.web_port)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
