"""Fetch URLs over HTTP with hard bounds (the only module that imports httpx).

Every request has a total deadline (connecting, redirects and the whole body: a server
that sends one byte a second is cut off), a cap on redirects, and a cap on the body
counted after decompression, so a gzip bomb costs at most ``max_bytes`` of memory.
Connections are bounded overall and per host; the deadline runs only while a request
holds its connection slots, so time spent queueing behind other requests (before the
first hop, or before a redirect's hop to a busy host) never counts against it.
Failures come back as values, never as exceptions: one bad URL must not stop the others.

One policy holds for every request and every redirect hop: with ``private`` off, a host
that is not public is refused, except the origin of a URL the user named (``trusted``).
Credentials travel beside a URL, never in it, and only to its own origin.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import queue
import socket
import ssl
import threading
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from digest import __version__
from digest.models import Response
from digest.urls import is_web_url, without_userinfo

USER_AGENT = (
    f"digest/{__version__} (newsletter digest generator; +https://pypi.org/project/digest/)"
)
REDIRECTS = (301, 302, 303, 307, 308)


Resolver = Callable[[str], Awaitable[Sequence[str]]]


async def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (an IP address resolves to itself)."""
    found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in found]


@dataclass(frozen=True)
class FetchOptions:
    """The bounds every request is held to."""

    timeout: float = 20.0  # seconds for the whole request, redirects and body included
    connect_timeout: float = 10.0
    max_bytes: int = 5 * 1024 * 1024  # after decompression
    max_redirects: int = 5
    connections: int = 16  # open at once, overall
    per_host: int = 4  # open at once, to one host
    user_agent: str = USER_AGENT
    # False: refuse a host (on any hop) that is or resolves to a loopback, private,
    # link-local or other non-global address, an IPv6 address that embeds one included;
    # only a request's own origin is exempt when it is ``trusted``. The address is checked
    # before httpx connects, which resolves it again: a DNS server that changes its
    # answer in between is not stopped.
    private: bool = True
    # True: only the first max_bytes are wanted (asked for with a Range header); a longer
    # body is cut there, not refused. For reading a file's header, such as an image's.
    partial: bool = False
    # host -> its addresses; the seam where a test stands a public address in for one.
    resolve: Resolver = field(default=resolve_host, compare=False)


DEFAULT_OPTIONS = FetchOptions()


@dataclass(frozen=True)
class Request:
    """A URL to fetch, with the validators of an earlier response for a conditional GET.

    ``url`` carries no user information: ``auth`` holds the credentials, sent only to the
    URL's own origin, so that neither a redirect to another host, nor a log, nor a
    message ever holds them. ``trusted`` says the user named this URL: its origin is
    fetched even when it is not public; where it redirects is checked all the same.
    """

    url: str
    etag: str | None = None
    last_modified: str | None = None
    auth: tuple[str, str] | None = field(default=None, repr=False)
    trusted: bool = False
    # The configuration's headers for this source (checked there: one line each, none
    # that this module sets itself); a User-Agent here wins over ``options.user_agent``.
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Failure:
    """A fetch that failed, and why, in words for the user."""

    url: str
    reason: str


Outcome = Response | Failure
Progress = Callable[[int, int, str], None]  # (done, total, url)


@dataclass
class _Limits:
    overall: asyncio.Semaphore
    per_host: dict[str, asyncio.Semaphore] = field(default_factory=dict)


def fetch_all(
    requests: Sequence[Request],
    options: FetchOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Fetch every request concurrently; outcomes come back in the order of ``requests``."""
    outcomes: dict[int, Outcome] = {}
    for done, (index, outcome) in enumerate(fetch_each(requests, options, len(requests)), 1):
        outcomes[index] = outcome
        if progress:
            progress(done, len(requests), requests[index].url)
    return [outcomes[i] for i in range(len(requests))]


def fetch_each(
    requests: Sequence[Request], options: FetchOptions = DEFAULT_OPTIONS, ahead: int = 8
) -> Iterator[tuple[int, Outcome]]:
    """Fetch every request concurrently; yield ``(index, outcome)`` as each one completes.

    Fetching runs in a thread of its own, so the caller can work on one outcome while
    the next ones arrive. At most ``ahead`` outcomes wait for the caller: past that,
    fetching pauses, so a slow caller never holds more than a few bodies in memory.
    Requests start in their order. Leaving the loop early cancels what is left.
    """
    if not requests:
        return
    arrived: queue.SimpleQueue[_Arrival | Exception] = queue.SimpleQueue()
    loop = asyncio.new_event_loop()
    task = loop.create_task(_fetch_each(requests, options, max(1, ahead), arrived.put))
    thread = threading.Thread(target=_run, args=(loop, task), name="digest-fetch")
    thread.start()
    left = len(requests)
    try:
        while left:
            arrival = arrived.get()
            if isinstance(arrival, Exception):
                raise arrival
            index, outcome, release = arrival
            left -= 1
            loop.call_soon_threadsafe(release)  # a slot for the next request
            yield index, outcome
    finally:
        if left:  # the caller left early, or fetching failed: stop what is left
            loop.call_soon_threadsafe(task.cancel)
        thread.join()
        loop.close()


def _run(loop: asyncio.AbstractEventLoop, task: asyncio.Task[None]) -> None:
    with suppress(asyncio.CancelledError):
        loop.run_until_complete(task)


_Arrival = tuple[int, Outcome, Callable[[], None]]


async def _fetch_each(
    requests: Sequence[Request],
    options: FetchOptions,
    ahead: int,
    deliver: Callable[[_Arrival | Exception], None],
) -> None:
    slots = asyncio.Semaphore(ahead)
    limits = _Limits(asyncio.Semaphore(options.connections))
    timeout = httpx.Timeout(options.timeout, connect=options.connect_timeout)
    pool = httpx.Limits(max_connections=options.connections, max_keepalive_connections=8)
    headers = {
        "User-Agent": options.user_agent,
        # Only encodings this module inflates itself, with a size bound.
        "Accept-Encoding": "gzip, deflate",
    }
    try:
        async with httpx.AsyncClient(
            timeout=timeout,
            limits=pool,
            headers=headers,
            follow_redirects=False,
            trust_env=False,  # no proxies or .netrc from the environment...
            verify=_trust(),  # ...but its SSL_CERT_FILE, as SMTP's TLS has it
        ) as client:

            async def one(index: int, request: Request) -> None:
                outcome = await _fetch(client, request, options, limits)
                deliver((index, outcome, slots.release))

            async with asyncio.TaskGroup() as group:
                for index, request in enumerate(requests):
                    # A task only once it has a slot: the requests still to come cost
                    # nothing but themselves, however many pages there are.
                    await slots.acquire()
                    group.create_task(one(index, request))
    except Exception as exc:  # a bug here must reach the caller, not leave it waiting
        deliver(exc.exceptions[0] if isinstance(exc, ExceptionGroup) else exc)


async def _fetch(
    client: httpx.AsyncClient, request: Request, options: FetchOptions, limits: _Limits
) -> Outcome:
    if not is_web_url(request.url):
        return Failure(request.url, "not an http or https URL")
    try:
        return await _follow(client, request, options, limits)
    except TimeoutError:
        return Failure(request.url, f"timed out after {options.timeout:g} s")
    except _Refused as exc:
        return Failure(request.url, str(exc))
    except httpx.HTTPError as exc:
        return Failure(request.url, _describe(exc))
    except httpx.InvalidURL as exc:  # httpx parses a Location header before we see it
        return Failure(request.url, f"invalid URL (or a redirect to one): {exc}")
    except zlib.error as exc:
        return Failure(request.url, f"compressed body is corrupt: {exc}")
    except (OSError, ValueError) as exc:  # h11 and the socket layer raise these too
        return Failure(request.url, f"connection failed: {exc}")


class _Refused(Exception):
    pass


class _Budget:
    """A request's time, spent only while it holds its connection slots."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Raise TimeoutError when the time left runs out inside the block."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(self.left):
                yield
        finally:
            self.left -= loop.time() - started


async def _follow(
    client: httpx.AsyncClient, request: Request, options: FetchOptions, limits: _Limits
) -> Response:
    url = request.url
    conditional = dict(request.headers)
    if request.etag:
        conditional["If-None-Match"] = request.etag
    if request.last_modified:
        conditional["If-Modified-Since"] = request.last_modified
    home = _origin(request.url)
    auth = httpx.BasicAuth(*request.auth) if request.auth else None
    budget = _Budget(options.timeout)
    for _ in range(options.max_redirects + 1):
        host = (urlsplit(url).hostname or "").lower()
        at_home = _origin(url) == home
        per_host = limits.per_host.setdefault(host, asyncio.Semaphore(options.per_host))
        # The host's slot first: a task waiting for a busy host must not hold an overall one.
        # The clock starts once both are held: queueing is not the server being slow.
        async with per_host, limits.overall, budget.running():
            if not options.private and not (request.trusted and at_home):
                await _refuse_private(host, options.resolve)
            headers = dict(conditional)
            if options.partial:
                headers["Range"] = f"bytes=0-{options.max_bytes - 1}"
            req = client.build_request("GET", url, headers=headers)
            # Credentials go to the origin they were given for, never on to a redirect's.
            response = await client.send(req, stream=True, auth=auth if at_home else None)
            try:
                if response.status_code in REDIRECTS and "Location" in response.headers:
                    location = response.headers.get("Location", "")
                    url = without_userinfo(urljoin(url, location))
                    if not is_web_url(url):
                        raise _Refused(f"redirected to a URL that is not http or https: {url}")
                    continue
                if response.status_code == 304:
                    return _response(request.url, url, response, b"")
                if response.status_code >= 400:
                    raise _Refused(f"HTTP {response.status_code} {response.reason_phrase}".strip())
                body = await _read_body(response, options.max_bytes, options.partial)
                return _response(request.url, url, response, body)
            finally:
                await response.aclose()
    raise _Refused(f"more than {options.max_redirects} redirects")


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: what a request's trust and credentials are bound to."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _PORTS.get(scheme)


_PORTS = {"http": 80, "https": 443}


async def _refuse_private(host: str, resolve: Resolver) -> None:
    """Raise _Refused when ``host`` is, or resolves to, an address that is not public."""
    try:
        found = await resolve(host)
    except socket.gaierror as exc:
        raise _Refused("DNS lookup failed (no such host)") from exc
    for text in found:
        address = ipaddress.ip_address(text.partition("%")[0])  # fe80::1%eth0: a zone
        if not is_public(address):
            what = "is" if host.strip("[]") == str(address) else f"resolves to {address},"
            raise _Refused(
                f"refused: {host} {what} a non-public address (set fetch_private = true to allow)"
            )


# IPv6 ranges whose last 32 bits are an IPv4 address a router or the host reaches:
# IPv4-compatible (::a.b.c.d, deprecated but still routed by some stacks) and NAT64
# (64:ff9b::/96, and the local-use 64:ff9b:1::/48).
_EMBEDDING = tuple(ipaddress.IPv6Network(n) for n in ("::/96", "64:ff9b::/96", "64:ff9b:1::/48"))


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether ``address`` is global, and so is every IPv4 address it embeds.

    ``ipaddress`` calls ``::127.0.0.1``, ``64:ff9b::7f00:1`` and ``2002:7f00:1::`` global;
    each reaches 127.0.0.1 (through the host's own stack, a NAT64 gateway or a 6to4
    relay), so each is judged by the IPv4 address inside.
    """
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    inner: list[ipaddress.IPv4Address] = []
    if address.ipv4_mapped:
        inner.append(address.ipv4_mapped)
    if address.sixtofour:
        inner.append(address.sixtofour)
    if address.teredo:
        inner.extend(address.teredo)  # the server and the (de-obfuscated) client
    if any(address in network for network in _EMBEDDING):
        inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return all(a.is_global for a in inner)


def _response(requested: str, final: str, response: httpx.Response, body: bytes) -> Response:
    content_type, _, params = response.headers.get("Content-Type", "").partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'")
    return Response(
        url=requested,
        final_url=final,
        status=response.status_code,
        body=body,
        content_type=content_type.strip().lower(),
        charset=charset,
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


async def _read_body(response: httpx.Response, max_bytes: int, partial: bool = False) -> bytes:
    """The body, inflated here chunk by chunk so that no step grows past ``max_bytes``;
    with ``partial``, its first ``max_bytes`` (the rest is never read)."""
    declared = response.headers.get("Content-Length", "")
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if declared.isdigit() and not encoding and int(declared) > max_bytes and not partial:
        raise _Refused(f"response larger than {_size(max_bytes)}")
    inflate = _inflater(encoding)
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        data = chunk
        while data:
            if inflate is None:
                piece, data = data, b""
            else:
                # max_length bounds the memory of one step; the rest waits in the tail.
                piece = inflate.decompress(data, max_bytes - size + 1)
                data = inflate.unconsumed_tail
            size += len(piece)
            if size > max_bytes and partial:
                parts.append(piece[: len(piece) - (size - max_bytes)])
                return b"".join(parts)
            if size > max_bytes:
                raise _Refused(f"response larger than {_size(max_bytes)} (after decompression)")
            parts.append(piece)
    if inflate is not None and not inflate.eof and not partial:
        raise _Refused("truncated compressed body")  # the end of the stream never came
    return b"".join(parts)


def _inflater(encoding: str):  # -> zlib decompressor or None
    if encoding in ("", "identity"):
        return None
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(wbits=32 + zlib.MAX_WBITS)  # zlib or gzip header
    raise _Refused(f"unsupported Content-Encoding {encoding!r}")


def _trust() -> ssl.SSLContext | bool:
    """The CA certificates to trust: SSL_CERT_FILE's or SSL_CERT_DIR's, else certifi's."""
    cafile, capath = os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR")
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile or None, capath=capath or None)
    return True


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        text = str(exc)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            why = text.rpartition("certificate verify failed:")[2].split("(_ssl")[0].strip()
            return (
                f"the server's certificate is not trusted ({why or text}); for a private CA, "
                "point SSL_CERT_FILE at its certificate"
            )
        if "Name or service not known" in text or "nodename nor servname" in text:
            return "DNS lookup failed (no such host)"
        return f"cannot connect: {text or type(exc).__name__}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.DecodingError):
        return f"response cannot be decoded: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n / 1024:g} KB"
