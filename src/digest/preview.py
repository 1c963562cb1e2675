"""Preview: serve the digest on localhost and rebuild it whenever its inputs change.

A thread polls the configuration file, the templates and the content directories; on a
change it rebuilds into a private temporary directory (a preview build records nothing as
used) and tells the open pages through Server-Sent Events, which reload themselves. A
failed build keeps the last good one on screen, with the error above it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import signal
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from digest.config import DEFAULT_CONFIG, Config, is_loopback, load_config
from digest.errors import DigestError
from digest.render import builtin_templates
from digest.runs import build

POLL_SECONDS = 0.3
HEARTBEAT_SECONDS = 15.0
_DARK_QUERY = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)")


@dataclass(frozen=True)
class Snapshot:
    """One build as served: its number, the email's parts, and the error if it failed."""

    version: int
    html: str = ""
    web_html: str = ""
    text: str = ""
    error: str | None = None
    warnings: tuple[str, ...] = ()


class Previewer:
    """Rebuilds the digest when its inputs change and wakes whoever waits for a new one."""

    def __init__(self, config_path: Path | None, today: date | None, out_dir: Path) -> None:
        self.config_path = config_path
        self.today = today
        self.out_dir = out_dir
        self.current = Snapshot(version=0)
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._watched: dict[Path, tuple[int, int]] = {}

    def rebuild(self) -> Snapshot:
        """Build once; on failure keep the last good parts and record the error."""
        last = self.current
        try:
            config = load_config(self.config_path)
            self._watched = stamp_paths(watched_paths(config, self.config_path))
            result = build(config, today=self.today, out_dir=self.out_dir)
        except DigestError as exc:
            if not self._watched:  # at least notice when the configuration is fixed
                self._watched = stamp_paths([self.config_path or DEFAULT_CONFIG])
            hint = f" ({exc.hint})" if exc.hint else ""
            snapshot = Snapshot(
                last.version + 1, last.html, last.web_html, last.text, f"{exc}{hint}"
            )
        else:
            warnings = [str(p) for p in result.problems]
            warnings += [f"lint: {f}" for f in result.findings]
            issue = result.issue
            snapshot = Snapshot(
                last.version + 1,
                issue.html,
                issue.web_html or issue.html,
                issue.text,
                warnings=tuple(warnings),
            )
        with self._changed:
            self.current = snapshot
            self._changed.notify_all()
        return snapshot

    def wait_newer(self, version: int, timeout: float) -> Snapshot:
        """The current build once it is newer than ``version``, or after ``timeout``."""
        with self._changed:
            self._changed.wait_for(
                lambda: self.current.version > version or self._stop.is_set(), timeout
            )
            return self.current

    def watch(self) -> None:
        """Poll the inputs until stopped; rebuild when any of them changed."""
        while not self._stop.wait(POLL_SECONDS):
            now = stamp_paths(self._watched)
            if now != self._watched:
                self._watched = now  # a failed build must not be retried until the next change
                self.rebuild()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()


def watched_paths(config: Config, config_path: Path | None) -> list[Path]:
    """What a preview watches: the configuration file, templates and local sources."""
    paths = [config.path or config_path or DEFAULT_CONFIG, builtin_templates()]
    if config.templates_dir:
        paths.append(config.templates_dir)
    # Only local sources can be watched; feeds and pages are fetched on each build.
    paths += [s.path for s in config.sources if s.path is not None]
    return paths


def stamp_paths(paths: dict[Path, tuple[int, int]] | list[Path]) -> dict[Path, tuple[int, int]]:
    """Modification time and size of every file under ``paths``; (0, 0) for a missing one."""
    stamps: dict[Path, tuple[int, int]] = {}
    for path in paths:
        if path.is_dir():
            files = [f for f in path.rglob("*") if f.is_file()]
            stamps[path] = (len(files), 0)  # a file added or removed changes the count
        else:
            files = [path]
        for file in files:
            try:
                stat = file.stat()
            except OSError:
                stamps[file] = (0, 0)
            else:
                stamps[file] = (stat.st_mtime_ns, stat.st_size)
    return {path: stamps[path] for path in sorted(stamps)}


def serve(
    config_path: Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    today: date | None = None,
) -> None:
    """Serve the preview until interrupted, printing its address first."""
    # systemd and scripts stop with SIGTERM: end as on Ctrl-C, so the temporary build
    # directory is removed on the way out.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with tempfile.TemporaryDirectory(prefix="digest-preview-") as out_dir:
            _serve(Previewer(config_path, today, Path(out_dir)), host, port)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve(previewer: Previewer, host: str, port: int) -> None:
    if not is_loopback(host):
        print(
            f"digest: warning: the preview listens on {host}, not on this machine's loopback "
            "address: anyone who can reach it reads the digest and its build warnings "
            "(use --host 127.0.0.1 unless that is meant)",
            file=sys.stderr,
            flush=True,
        )
    previewer.rebuild()
    server = make_server(previewer, host, port)
    watcher = threading.Thread(target=previewer.watch, name="watcher", daemon=True)
    watcher.start()
    try:
        address = f"http://{_url_host(host)}:{server.server_address[1]}/"
        print(f"Previewing at {address} (Ctrl-C to stop)", flush=True)
        if previewer.current.error:
            print(f"digest: error: {previewer.current.error}", file=sys.stderr, flush=True)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        print("Preview stopped.", file=sys.stderr)
    finally:
        previewer.stop()
        server.server_close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def make_server(previewer: Previewer, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server for ``previewer`` bound to ``host:port`` (port 0 picks a free one)."""

    class Handler(_Handler):
        pass

    Handler.previewer = previewer
    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except (OSError, OverflowError) as exc:  # OverflowError: a port above 65535
        raise DigestError(
            f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}",
            hint="pick another port with --port",
        ) from exc
    server.daemon_threads = True
    Handler.own_names = own_names(host)
    return server


def own_names(host: str) -> frozenset[str]:
    """The host names a request to this preview may carry in its Host header.

    Any address, but of names only this machine's own: a page from elsewhere whose name
    is made to point at 127.0.0.1 (DNS rebinding) carries its own name and is refused.
    """
    names = {"localhost", host.strip("[]").lower()}
    for name in (socket.gethostname(), socket.getfqdn()):
        names.add(name.lower())
    return frozenset(names)


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    """Whether a Host header names this preview (an IP address or one of ``names``)."""
    if not header:
        return False
    try:
        hostname = urlsplit(f"//{header}").hostname
    except ValueError:
        return False
    if not hostname:
        return False
    hostname = hostname.rstrip(".")
    if hostname in names or hostname.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


class _Handler(BaseHTTPRequestHandler):
    previewer: Previewer
    own_names: frozenset[str] = frozenset()
    server_version = "digest-preview"

    def do_GET(self) -> None:
        if not host_allowed(self.headers.get("Host"), self.own_names):
            self.send_error(HTTPStatus.MISDIRECTED_REQUEST, "not this server's name")
            return
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        snapshot = self.previewer.current
        if url.path == "/":
            self._send(PAGE, "text/html")
        elif url.path in ("/email.html", "/web.html"):
            html = snapshot.html if url.path == "/email.html" else snapshot.web_html
            self._send(force_scheme(html, query.get("scheme", [""])[0]), "text/html")
        elif url.path == "/digest.txt":
            self._send(snapshot.text, "text/plain")
        elif url.path == "/status":
            self._send(json.dumps(_status(snapshot)), "application/json")
        elif url.path == "/events":
            after = query.get("after", ["0"])[0] or "0"
            if not after.isascii() or not after.isdigit():
                self.send_error(HTTPStatus.BAD_REQUEST, "after must be a build number")
                return
            self._stream_events(int(after))
        else:
            self.send_error(HTTPStatus.NOT_FOUND)

    def _send(self, body: str, kind: str) -> None:
        data = body.encode("utf-8")
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def _stream_events(self, after: int) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        version = after
        try:
            while not self.previewer.stopped:
                snapshot = self.previewer.wait_newer(version, HEARTBEAT_SECONDS)
                if snapshot.version > version:
                    version = snapshot.version
                    self.wfile.write(f"data: {json.dumps(_status(snapshot))}\n\n".encode())
                else:
                    self.wfile.write(b": still here\n\n")  # finds closed connections
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the page was closed or reloaded

    def log_message(self, format: str, *args: object) -> None:
        pass  # one line per request would drown the build warnings


def _status(snapshot: Snapshot) -> dict[str, object]:
    return {"version": snapshot.version, "error": snapshot.error, "warnings": snapshot.warnings}


def force_scheme(html: str, scheme: str) -> str:
    """The email with its dark-mode rules always on (``dark``) or always off (``light``).

    A frame follows the browser's colour scheme, which a page cannot set for it; so the
    preview rewrites the email's own media query instead.
    """
    if scheme == "dark":
        return _DARK_QUERY.sub("(min-width: 0px)", html)
    if scheme == "light":
        return _DARK_QUERY.sub("(max-width: 0px)", html)
    return html


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>digest preview</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #e9ecef; color: #1b1f24; }
  header { position: sticky; top: 0; z-index: 1; display: flex; gap: 8px; align-items: center;
           flex-wrap: wrap; padding: 8px 16px; background: #1b1f24; color: #fff; }
  header strong { margin-right: 12px; }
  header button { font: inherit; padding: 4px 12px; border: 1px solid #5c6670; border-radius: 4px;
                  background: transparent; color: #fff; cursor: pointer; }
  header button[aria-pressed="true"] { background: #fff; color: #1b1f24; }
  header label { margin-left: 12px; }
  #state { margin-left: auto; color: #a4acb4; }
  #error { display: none; margin: 0; padding: 10px 16px; background: #fde2e1; color: #8a1c1c;
           white-space: pre-wrap; font-family: ui-monospace, monospace; }
  #warnings { margin: 0; padding: 0 16px; color: #7a5b00; background: #fff4cc;
              white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
  /* Side by side fits a 1,440 px laptop: the desktop view shrinks towards 600 px (still
     above the email's mobile breakpoint) and the text part towards 360 px. */
  main { display: grid; gap: 16px; align-items: start; padding: 16px; overflow-x: auto;
         grid-template-columns: 377px minmax(602px, 1202px) minmax(360px, 640px); }
  body[data-view="desktop"] main { grid-template-columns: 1202px; }
  body[data-view="mobile"] main { grid-template-columns: 377px; }
  body[data-view="text"] main { grid-template-columns: 640px; }
  figure { margin: 0; min-width: 0; }
  figcaption { color: #5c6670; font-size: 12px; margin-bottom: 4px; }
  iframe { display: block; border: 1px solid #ced4da; background: #fff;
           height: calc(100vh - 110px); }
  #mobile, #desktop { width: 100%; }
  /* The text part as sent: its own line breaks only (a long line scrolls, never re-wraps). */
  #text { width: 100%; height: calc(100vh - 110px); overflow: auto; margin: 0; padding: 16px;
          box-sizing: border-box; background: #fff; border: 1px solid #ced4da;
          white-space: pre; tab-size: 8; font: 13px/1.5 ui-monospace, monospace; }
  body.dark #text { background: #1a1d21; color: #e8eaed; }
  body[data-view="desktop"] .mobile, body[data-view="desktop"] .text,
  body[data-view="mobile"] .desktop, body[data-view="mobile"] .text,
  body[data-view="text"] .mobile, body[data-view="text"] .desktop { display: none; }
</style>
</head>
<body data-view="all">
<header>
  <strong>digest preview</strong>
  <button data-view="all" aria-pressed="true">Side by side</button>
  <button data-view="desktop" aria-pressed="false">Desktop 1200</button>
  <button data-view="mobile" aria-pressed="false">Mobile 375</button>
  <button data-view="text" aria-pressed="false">Plain text</button>
  <label><input type="checkbox" id="dark"> Dark mode</label>
  <span id="state">connecting…</span>
</header>
<pre id="error" role="alert"></pre>
<pre id="warnings"></pre>
<main>
  <figure class="mobile"><figcaption>Mobile, 375 px</figcaption>
    <iframe id="mobile" title="The email at 375 px"></iframe></figure>
  <figure class="desktop"><figcaption>Desktop, <span id="desktop-width">1200</span> px</figcaption>
    <iframe id="desktop" title="The email at 1200 px"></iframe></figure>
  <figure class="text"><figcaption>Plain-text part</figcaption><pre id="text"></pre></figure>
</main>
<script>
  let version = 0;
  const scheme = () => document.getElementById("dark").checked ? "dark" : "light";
  function load() {
    const query = `?scheme=${scheme()}&v=${version}`;
    for (const id of ["mobile", "desktop"]) {
      document.getElementById(id).src = "/email.html" + query;
    }
    fetch("/digest.txt?v=" + version).then(r => r.text()).then(text => {
      document.getElementById("text").textContent = text;
    });
    document.body.classList.toggle("dark", scheme() === "dark");
  }
  function show(status) {
    const error = document.getElementById("error");
    error.textContent = status.error ? "Build failed: " + status.error : "";
    error.style.display = status.error ? "block" : "none";
    document.getElementById("warnings").textContent = status.warnings.join("\\n");
    document.getElementById("state").textContent =
      `build ${status.version}` + (status.error ? " failed" : "");
    document.body.dataset.version = status.version;
  }
  for (const button of document.querySelectorAll("header button")) {
    button.addEventListener("click", () => {
      document.body.dataset.view = button.dataset.view;
      for (const other of document.querySelectorAll("header button")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
    });
  }
  document.getElementById("dark").addEventListener("change", load);
  const desktop = document.getElementById("desktop");
  new ResizeObserver(() => {
    document.getElementById("desktop-width").textContent = desktop.clientWidth;
  }).observe(desktop);
  const events = new EventSource("/events");
  events.onmessage = (event) => {
    const status = JSON.parse(event.data);
    show(status);
    if (status.version !== version) { version = status.version; load(); }
  };
  events.onerror = () => { document.getElementById("state").textContent = "reconnecting…"; };
</script>
</body>
</html>
"""
