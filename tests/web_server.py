"""A real HTTP server on 127.0.0.1 for ingest tests: fixture files plus failure cases.

Files under ``root`` are served with ``{{BASE}}`` replaced by the server's URL, an ETag
and a Last-Modified header (a matching conditional request gets a 304). Special paths:

    /redirect/N/PATH     N redirects, then PATH
    /redirect-to?url=U   one redirect to U (any scheme)
    /status/CODE         that status, a short body
    /slow                headers at once, then one byte every 0.2 s
    /delay/SECONDS/PATH  PATH (any of these) after SECONDS
    /bomb                a small gzip body that inflates to 20 MB
    /gzip/PATH           PATH gzip-compressed; /gzip-cut/PATH without its last bytes
    /empty               200 text/html with an empty body
    /as/TYPE/PATH        PATH served with the Content-Type TYPE (``~`` for ``/``)
    /hc/ANYTHING         200 "OK", as a heartbeat monitor (healthchecks.io) answers a ping
"""

from __future__ import annotations

import gzip
import hashlib
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TYPES = {
    ".xml": "application/xml",
    ".rdf": "application/rdf+xml",
    ".json": "application/feed+json",
    ".html": "text/html; charset=utf-8",
    ".png": "image/png",
    ".opml": "text/x-opml",
}
# Files whose type must not claim a charset: the test is that the client finds it.
NO_CHARSET = {"library-cp1251.html", "library-sjis.html", "cafe-latin1.html"}
LAST_MODIFIED = formatdate(1714636800, usegmt=True)  # 2024-05-02
_BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024), compresslevel=9)


@dataclass
class Logged:
    path: str
    headers: dict[str, str]


@dataclass
class WebServer:
    root: Path
    base: str = ""
    requests: list[Logged] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == "/" + path.lstrip("/"))


def start(root: Path, tls: ssl.SSLContext | None = None) -> tuple[WebServer, ThreadingHTTPServer]:
    state = WebServer(root)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output quiet
            pass

        def do_GET(self) -> None:
            state.requests.append(Logged(self.path, dict(self.headers.items())))
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            if path.startswith("/redirect/"):
                _, _, n, rest = path.split("/", 3)
                target = f"/redirect/{int(n) - 1}/{rest}" if int(n) > 1 else f"/{rest}"
                return self._send(302, b"", headers={"Location": target})
            if path == "/redirect-to":
                target = parse_qs(parts.query)["url"][0]
                return self._send(302, b"", headers={"Location": target})
            if path.startswith("/status/"):
                code = int(path.rsplit("/", 1)[1])
                return self._send(code, b"error page", "text/plain")
            if path == "/slow":
                return self._slow()
            if path.startswith("/delay/"):
                _, _, seconds, path = path.split("/", 3)
                time.sleep(float(seconds))
                self.path = "/" + path
                return self.do_GET()
            if path == "/bomb":
                return self._send(200, _BOMB, "application/xml", {"Content-Encoding": "gzip"})
            if path.startswith(("/gzip/", "/gzip-cut/")):
                _, kind, rest = path.split("/", 2)
                body = gzip.compress((state.root / rest).read_bytes())
                body = body[:-8] if kind == "gzip-cut" else body
                return self._send(200, body, "application/xml", {"Content-Encoding": "gzip"})
            if path.startswith("/hc/"):
                return self._send(200, b"OK", "text/plain")
            if path == "/empty":
                return self._send(200, b"", "text/html")
            content_type = None
            if path.startswith("/as/"):
                _, _, kind, path = path.split("/", 3)
                content_type, path = kind.replace("~", "/"), "/" + path
            self._file(path, content_type)

        def _file(self, path: str, content_type: str | None) -> None:
            file = (state.root / path.lstrip("/")).resolve()
            if not file.is_file() or state.root.resolve() not in file.parents:
                return self._send(404, b"not found", "text/plain")
            body = file.read_bytes().replace(b"{{BASE}}", state.base.encode())
            if content_type is None:
                content_type = TYPES.get(file.suffix, "application/octet-stream")
                if file.name in NO_CHARSET:
                    content_type = content_type.split(";")[0]
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", headers={"ETag": etag})
            self._send(200, body, content_type, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

        def _slow(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass  # the client gave up, as it should

        def _send(
            self,
            code: int,
            body: bytes,
            content_type: str | None = None,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(code)
            if content_type:
                self.send_header("Content-Type", content_type)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls is not None:  # HTTPS, with a certificate the test makes
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    state.base = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return state, server
