"""The one HTTP layer every puller uses: timeouts, retries, rate limits, paging, clear errors.

Transport lives here, mapping lives in the connectors (the split of dlt's REST client). A puller
builds requests as plain dicts ``{"method", "url", "params", "json"}``, sends them with
``HttpClient.send`` and asks a ``Paginator`` for the next one::

    client = HttpClient("gh", "https://api.github.com", {"Authorization": "Bearer ..."},
                        token_env="GITHUB_TOKEN")
    request = {"method": "GET", "url": "/repos/acme/widgets/issues", "params": {...}, "json": None}
    while request is not None:
        response = client.send(request)
        ...                                  # response.json(), response.headers
        request = LinkHeaderPaginator().next_request(response, request)

Every failure is a ``PullError`` whose message names the source and the URL, never a token.
Secrets passed in ``headers`` are scrubbed from every message this module writes.

Credentials go only to the source's origin (scheme, host and port of ``base_url``): a request
for a URL on another origin (a ``Link`` next page or a ``comments_url`` the API named) is
refused with a ``PullError`` before anything is sent, and a redirect to another origin is
followed without the secret headers. A paging loop calls ``PageGuard.visit`` before each page,
which stops a loop that comes back to a page it fetched (a cycle) or runs past ``max_pages``.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger(__name__)

# Retried: the server is overloaded, restarting or behind a flaky proxy.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_SECRET_HEADERS = frozenset({"authorization", "private-token", "x-api-key"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A paging loop this long is broken rather than big: 100,000 pages of 100 items is ten million
# issues. A pull stopped here resumes from its last page written when run again.
MAX_PAGES = 100_000


class PullError(RuntimeError):
    """A pull failed; the message names the source, the URL and what to do next."""


class InvalidPage(PullError):
    """A response body that is not the JSON the puller expected."""


@dataclass(frozen=True)
class HttpResponse:
    """One HTTP response: ``headers`` is case-insensitive, ``content`` the raw body."""

    status: int
    headers: Mapping[str, str]
    url: str
    content: bytes
    source: str = ""

    def json(self) -> Any:
        """Return the parsed body; raise ``InvalidPage`` naming the URL if it is not JSON."""
        try:
            return json.loads(self.content.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise InvalidPage(
                f"{self.source}: GET {self.url} is not valid JSON ({error})"
            ) from None


def origin(url: str | httpx.URL) -> str:
    """Return ``scheme://host:port`` of ``url`` as httpx connects to it.

    Parsed by httpx itself, so the host is the one the request would go to (``user@`` info
    dropped: ``https://api.github.com@evil.test/`` is ``https://evil.test:443``), lower case,
    with the default port written out (``https://h`` and ``https://h:443`` are one origin;
    ``http://h`` is another). Raises ``httpx.InvalidURL`` for a URL it cannot parse.
    """
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    host = parsed.raw_host.decode("ascii").lower()
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = parsed.port or _DEFAULT_PORTS.get(parsed.scheme)
    return f"{parsed.scheme}://{host}" + (f":{port}" if port else "")


def request_dict(
    method: str, url: str, params: dict[str, Any] | None = None, json: Any = None
) -> dict[str, Any]:
    """Return a request in the dict shape paginators read and write (JSON-serialisable)."""
    return {"method": method, "url": url, "params": params, "json": json}


class HttpClient:
    """Sends requests to one API with timeouts, bounded retries and rate-limit waits.

    Retried with exponential backoff and full jitter (``uniform(0, backoff * 2**try)``, capped
    at ``max_backoff``): connection errors, timeouts, 5xx and 429. ``Retry-After`` (seconds or
    an HTTP date) and GitHub's ``x-ratelimit-remaining: 0`` + ``x-ratelimit-reset`` are waited
    out instead, unless that wait is longer than ``max_wait`` (then a ``PullError`` says when
    to retry). 401 and 403 fail at once, naming ``token_env``; other 4xx fail at once.

    Only URLs on ``origin`` (that of ``base_url``) are requested; another one fails at once
    without a byte sent. Redirects are followed, to another origin without the secret headers.
    """

    def __init__(
        self,
        source_name: str,
        base_url: str,
        headers: dict[str, str],
        *,
        token_env: str | None = None,
        timeout: float = 30,
        max_tries: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60,
        max_wait: float = 900,
        max_pages: int = MAX_PAGES,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.source = source_name
        self.base_url = base_url.rstrip("/")
        self.origin = _source_origin(source_name, self.base_url)
        self.token_env = token_env
        self.max_tries = max(1, max_tries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self.max_pages = max(1, max_pages)
        self.sleep = sleep
        self.clock = clock
        self._secrets = _secrets(headers)
        self._not_before = 0.0  # epoch seconds: GitHub said the quota is spent until then
        self._random = random.Random()
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout),
            follow_redirects=True,
            event_hooks={"request": [self._credentials_only_to_origin]},
        )

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def send(self, request: Mapping[str, Any]) -> HttpResponse:
        """Return the response to a request dict (see ``request_dict``)."""
        return self.request(
            request["method"],
            request["url"],
            params=request.get("params"),
            json=request.get("json"),
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> HttpResponse:
        """Return the 2xx response to ``method url``; raise ``PullError`` after bounded tries."""
        built = self._build(method, url, params=params, json=json)
        shown = str(built.url)
        self._check_origin(method, built.url)
        last_error = ""
        for attempt in range(1, self.max_tries + 1):
            self._wait_for_quota(method, shown)
            try:
                response = self._client.send(built)
            except httpx.TransportError as error:
                last_error = type(error).__name__ + (f": {error}" if str(error) else "")
                self._retry_later(attempt, method, shown, last_error, None)
                continue
            result = HttpResponse(
                response.status_code, response.headers, shown, response.content, self.source
            )
            self._note_quota(result)
            if response.is_success:
                return result
            last_error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
            wait = self._server_wait(result)
            if response.status_code in (401, 403) and wait is None:
                raise PullError(self._auth_message(method, shown, result, response.url))
            if response.status_code not in RETRY_STATUSES and wait is None:
                raise PullError(
                    self.scrub(
                        f"{self.source}: {method} {shown} failed: {last_error}{_detail(result)}"
                    )
                )
            self._retry_later(attempt, method, shown, last_error, wait)
        raise PullError(
            self.scrub(
                f"{self.source}: {method} {shown} failed after {self.max_tries} tries: "
                f"{last_error}; check the URL and the network, then run the pull again "
                "(it resumes from the last page written)"
            )
        )

    def absolute(self, url: str) -> str:
        """Return ``url`` itself if absolute, else joined to the base URL (its path kept)."""
        if _ABSOLUTE.match(url):
            return url
        if url.startswith("//"):  # scheme-relative: another host, reached with our scheme
            return f"{httpx.URL(self.base_url).scheme}:{url}"
        return f"{self.base_url}/{url.lstrip('/')}"

    def url_for(self, request: Mapping[str, Any]) -> httpx.URL:
        """Return the full URL (query included) a request dict is sent to."""
        return self._build(request["method"], request["url"], params=request.get("params")).url

    def _build(
        self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> httpx.Request:
        try:
            return self._client.build_request(method, self.absolute(url), params=params, json=json)
        except httpx.InvalidURL as error:
            raise PullError(
                self.scrub(
                    f"{self.source}: {method} {url}: not a URL that can be fetched ({error})"
                )
            ) from None

    def _check_origin(self, method: str, url: httpx.URL) -> None:
        """Refuse a URL off the source's origin: the credentials would go with it."""
        found = origin(url)
        if found == self.origin:
            return
        raise PullError(
            self.scrub(
                f"{self.source}: refused {method} {url}: it is on {found}, not on the source's "
                f"origin {self.origin}; the API named it (a next page or a sub-resource), and "
                "the pull sends credentials only to the origin of the source's url. If the API "
                "moved, set url to its new address"
            )
        )

    def _credentials_only_to_origin(self, request: httpx.Request) -> None:
        # Runs before every request httpx sends, redirects included. httpx itself drops only
        # Authorization on a redirect to another host, and keeps it on http -> https; here
        # every secret header (GitLab's PRIVATE-TOKEN too) stays on the source's origin.
        if origin(request.url) == self.origin:
            return
        for name in [n for n in request.headers if n.lower() in _SECRET_HEADERS]:
            del request.headers[name]

    def scrub(self, text: str) -> str:
        """Return ``text`` with every secret header value replaced by ``***``."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _retry_later(
        self, attempt: int, method: str, url: str, error: str, wait: float | None
    ) -> None:
        if attempt >= self.max_tries:
            return
        if wait is None:
            cap = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
            wait = self._random.uniform(0, cap)
        elif wait > self.max_wait:
            raise PullError(
                self.scrub(
                    f"{self.source}: {method} {url} is rate limited for {wait:.0f} s more "
                    f"({error}); run the pull again later (it resumes from the last page written)"
                )
            )
        log.warning(
            "%s",
            self.scrub(
                f"{self.source}: {method} {url}: {error}; retry {attempt + 1} of "
                f"{self.max_tries} in {wait:.2f} s"
            ),
        )
        self.sleep(wait)

    def _server_wait(self, response: HttpResponse) -> float | None:
        """Return the seconds the server asked us to wait (Retry-After, GitHub quota), if any."""
        if response.status not in (403, 429, 503):
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            seconds = _parse_retry_after(retry_after, self.clock())
            if seconds is not None:
                return seconds
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = _float(response.headers.get("x-ratelimit-reset"))
            if reset is not None:
                return max(0.0, reset - self.clock()) + 1
        if response.status == 429 or b"rate limit" in response.content[:1000].lower():
            return 60.0  # GitHub's advice for a secondary rate limit without Retry-After
        return None

    def _note_quota(self, response: HttpResponse) -> None:
        # GitHub: the last request of the quota succeeds; the next would be refused until reset.
        if response.status < 400 and response.headers.get("x-ratelimit-remaining") == "0":
            reset = _float(response.headers.get("x-ratelimit-reset"))
            if reset is not None:
                self._not_before = reset + 1

    def _wait_for_quota(self, method: str, url: str) -> None:
        wait = self._not_before - self.clock()
        if wait <= 0:
            return
        if wait > self.max_wait:
            raise PullError(
                f"{self.source}: {method} {url}: the API rate limit is spent for {wait:.0f} s "
                "more; run the pull again later (it resumes from the last page written)"
            )
        log.warning("%s: rate limit spent; waiting %.0f s for the reset", self.source, wait)
        self.sleep(wait)
        self._not_before = 0.0

    def _auth_message(
        self, method: str, url: str, response: HttpResponse, final_url: httpx.URL
    ) -> str:
        where = f"${self.token_env}" if self.token_env else "the source's token_env variable"
        what = "unauthorized" if response.status == 401 else "forbidden"
        if origin(final_url) != self.origin:
            return self.scrub(
                f"{self.source}: {method} {url} was redirected to {origin(final_url)}, which "
                f"refused it (HTTP {response.status}, {what}): credentials go only to the "
                f"source's origin {self.origin}, so set url to the API's own address"
                f"{_detail(response)}"
            )
        return self.scrub(
            f"{self.source}: {method} {url} was refused (HTTP {response.status}, {what}); "
            f"check the token in {where}: it may be expired, revoked or lack read access"
            f"{_detail(response)}"
        )


_ABSOLUTE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _source_origin(source: str, base_url: str) -> str:
    """Return the origin of a source's url; ``PullError`` if it is not an http(s) URL."""
    try:
        found = origin(base_url)
        parsed = httpx.URL(base_url)
    except httpx.InvalidURL as error:
        raise PullError(f"{source}: url: {base_url!r} is not a valid URL ({error})") from None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.raw_host:
        raise PullError(
            f"{source}: url: {base_url!r} is not an http(s) URL; write it as https://HOST/..."
        )
    return found


def _secrets(headers: Mapping[str, str]) -> list[str]:
    """Return the secret values in ``headers``: the raw header, the token, a basic-auth pair."""
    found: list[str] = []
    for name, value in headers.items():
        if name.lower() not in _SECRET_HEADERS or not value:
            continue
        found.append(value)
        scheme, _, credential = value.partition(" ")
        if credential:
            found.append(credential)
            if scheme.lower() == "basic":
                try:
                    user_pass = base64.b64decode(credential).decode("utf-8")
                except ValueError:
                    continue
                found.append(user_pass.partition(":")[2])
    # Longest first, so a token inside a header value is not left half replaced.
    return sorted({s for s in found if len(s) >= 4}, key=len, reverse=True)


def _detail(response: HttpResponse) -> str:
    """Return ': <the start of the error body>' to show the API's own explanation, if any."""
    text = response.content[:300].decode("utf-8", "replace").strip()
    return f": {' '.join(text.split())}" if text else ""


def _parse_retry_after(value: str, now: float) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class PageGuard:
    """Stops a paging loop that asks for a page twice (a cycle) or for more than ``max_pages``.

    A loop makes one guard and calls ``visit(request)`` before sending each page::

        guard = PageGuard(client)
        while request is not None:
            guard.visit(request)            # PullError on a cycle or past client.max_pages
            response = client.send(request)
            request = paginator.next_request(response, request)

    A request equal to one this loop already sent (method, URL with its query in any order,
    JSON body) means the API's pointer to the next page led back to a page already read: a
    ``Link`` to an earlier page, a cursor or token that repeats, an offset or page number that
    did not advance. Followed, it would never end. Each loop has its own guard: the same
    comments URL fetched for an issue listed twice is not a cycle.
    """

    def __init__(self, client: HttpClient) -> None:
        self.client = client
        self.pages = 0
        self._seen: set[bytes] = set()  # digests, so a long loop holds 32 bytes a page

    def visit(self, request: Mapping[str, Any]) -> None:
        """Count ``request`` as a page of this loop; raise ``PullError`` if it must not be sent."""
        method = str(request["method"]).upper()
        url = self.client.url_for(request)
        key = [
            method,
            str(url.copy_with(query=None, fragment=None)),
            sorted(url.params.multi_items()),
            request.get("json"),
        ]
        digest = hashlib.sha256(
            json.dumps(key, sort_keys=True, default=str).encode("utf-8")
        ).digest()
        client = self.client
        if digest in self._seen:
            raise PullError(
                client.scrub(
                    f"{client.source}: {method} {url} was already fetched in this pull: the "
                    "API's next page leads back to an earlier page (a paging cycle), so the pull "
                    "stopped instead of looping forever. This is a fault of the server or of a "
                    "proxy in front of it"
                )
            )
        if self.pages >= client.max_pages:
            raise PullError(
                client.scrub(
                    f"{client.source}: stopped after {client.max_pages} pages, before {method} "
                    f"{url}: more pages than any real listing has, so the API's paging is "
                    "likely broken; narrow the source (project, query), or run the pull again "
                    "to go on from the last page written"
                )
            )
        self._seen.add(digest)
        self.pages += 1


class Paginator:
    """A paging scheme: given a page and the request that fetched it, the next request.

    ``next_request`` returns None after the last page. A paginator that needs the body to find
    the next page lets ``InvalidPage`` from ``response.json()`` escape; one that does not (the
    next page is in a header, or is an offset) still answers for an invalid page, so the pull
    can go on past it.
    """

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        raise NotImplementedError


class LinkHeaderPaginator(Paginator):
    """GitHub: the next page's full URL is in ``Link: <https://...&page=3>; rel="next"``.

    The body (a JSON list) is not read, so a page with a bad body does not stop the paging.
    """

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        url = parse_link_header(response.headers.get("link", "")).get("next")
        return request_dict(request["method"], url) if url else None


class NextPageHeaderPaginator(Paginator):
    """GitLab: ``X-Next-Page: 3`` names the next page number; empty on the last page.

    The page number goes into the ``page`` query parameter of the same request.
    """

    def __init__(self, param: str = "page", header: str = "x-next-page") -> None:
        self.param = param
        self.header = header

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        page = response.headers.get(self.header, "").strip()
        if not page:
            return None
        return {**request, "params": {**(request.get("params") or {}), self.param: page}}


class OffsetPaginator(Paginator):
    """Jira Server/Data Center: ``{"startAt": 0, "maxResults": 50, "total": 120, "issues": [...]}``.

    The next request asks ``startAt + len(issues)`` (the server may cap ``maxResults`` below
    what was asked); paging ends at ``total`` or on an empty page. An invalid page is skipped
    by the page size last seen, so the pull goes on.
    """

    def __init__(
        self,
        items_key: str = "issues",
        offset_param: str = "startAt",
        limit_param: str = "maxResults",
        total_key: str = "total",
    ) -> None:
        self.items_key = items_key
        self.offset_param = offset_param
        self.limit_param = limit_param
        self.total_key = total_key
        self.page_size: int | None = None

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        params = dict(request.get("params") or {})
        offset = int(params.get(self.offset_param) or 0)
        try:
            body = response.json()
        except InvalidPage:
            step = self.page_size or int(params.get(self.limit_param) or 50)
            return {**request, "params": {**params, self.offset_param: offset + step}}
        items = body.get(self.items_key) if isinstance(body, dict) else None
        if not isinstance(items, list) or not items:
            return None
        offset = int(body.get(self.offset_param, offset)) + len(items)
        self.page_size = int(body.get(self.limit_param) or len(items))
        total = body.get(self.total_key)
        if isinstance(total, int) and offset >= total:
            return None
        return {**request, "params": {**params, self.offset_param: offset}}


class TokenPaginator(Paginator):
    """Jira Cloud ``POST /rest/api/3/search/jql``: ``{"issues": [...], "nextPageToken": "...",
    "isLast": false}``; the token goes into the next request's JSON body."""

    def __init__(self, token_key: str = "nextPageToken", last_key: str = "isLast") -> None:
        self.token_key = token_key
        self.last_key = last_key

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        body = response.json()
        token = body.get(self.token_key) if isinstance(body, dict) else None
        if not token or body.get(self.last_key) is True:
            return None
        return {**request, "json": {**(request.get("json") or {}), self.token_key: token}}


class GraphQLCursorPaginator(Paginator):
    """Linear: ``{"data": {"issues": {"nodes": [...], "pageInfo": {"hasNextPage": true,
    "endCursor": "..."}}}}``; the cursor goes into ``variables.after`` of the next request."""

    def __init__(self, path: tuple[str, ...] = ("data", "issues"), variable: str = "after"):
        self.path = path
        self.variable = variable

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        node: Any = response.json()
        for key in self.path:
            node = node.get(key) if isinstance(node, dict) else None
        info = node.get("pageInfo") if isinstance(node, dict) else None
        if not isinstance(info, dict) or not info.get("hasNextPage") or not info.get("endCursor"):
            return None
        body = dict(request.get("json") or {})
        body["variables"] = {**(body.get("variables") or {}), self.variable: info["endCursor"]}
        return {**request, "json": body}


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]+)*)")


def parse_link_header(value: str) -> dict[str, str]:
    """Return ``{rel: url}`` from an RFC 8288 ``Link`` header."""
    links = {}
    for match in _LINK.finditer(value or ""):
        url, params = match.group(1), match.group(2)
        rel = re.search(r'rel\s*=\s*"?([^";]+)"?', params)
        if rel:
            for name in rel.group(1).split():
                links[name] = url
    return links
