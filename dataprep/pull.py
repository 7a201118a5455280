"""``dataprep pull``: fetch each API source into a raw snapshot the build reads offline.

A snapshot lives in ``.dataprep/snapshots/<source-name>/`` under the config folder::

    pages/00001-00001.json      raw pages (comments embedded by the puller), one file a page
    pages/00002-00001.json      run 2 (incremental: only items updated since run 1's cursor)
    pages/00002-00002.invalid   a page that was not JSON, raw bytes; the build quarantines it
    state.json                  {"cursor": "2024-05-15T13:31:50Z", "runs": 2,
                                 "in_progress": null | {"run": 3, "pages": 2, "next": {...},
                                                        "newest": "..."},
                                 "invalid": {"00002-00002.invalid": {"url": ..., "error": ...}}}

Every file is written atomically (a temporary file, then a rename), the state after each page,
so an interrupted pull resumes after its last page written. A run that saved an invalid page
keeps the previous cursor, so the next pull asks again for what that page held. A token
refused (401/403) on the first request fails with nothing written for that run; one refused
mid-run keeps the pages written so far, and the next pull resumes after them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprep.config import Config, SourceConfig
from dataprep.connectors.base import parse_datetime
from dataprep.connectors.http import HttpClient, PullError
from dataprep.connectors.pullers import puller

log = logging.getLogger(__name__)

STATE_NAME = "state.json"


@dataclass
class PullSummary:
    """What one source's pull did."""

    source: str
    run: int
    pages: int  # pages written in this invocation (invalid ones included)
    items: int  # items on them
    invalid: int  # pages saved as .invalid
    cursor: str | None  # the cursor after the run
    resumed: bool  # continued an interrupted run
    folder: Path


class SnapshotStore:
    """The raw pages and the state of one source's snapshot."""

    def __init__(self, root: Path, source_name: str) -> None:
        self.folder = Path(root) / source_name
        self.pages_dir = self.folder / "pages"
        self.state_path = self.folder / STATE_NAME

    def state(self) -> dict[str, Any]:
        """Return the state (a fresh one before the first pull)."""
        if not self.state_path.is_file():
            return {"cursor": None, "runs": 0, "in_progress": None, "invalid": {}}
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise PullError(
                f"{self.state_path}: unreadable snapshot state ({error}); delete the folder "
                f"{self.folder} to pull everything again"
            ) from None
        state.setdefault("invalid", {})
        return state

    def begin_run(self) -> int:
        """Return the run to write: the interrupted one if any, else the next number."""
        state = self.state()
        if state.get("in_progress"):
            return int(state["in_progress"]["run"])
        return int(state.get("runs") or 0) + 1

    def page_path(self, run: int, n: int, suffix: str = ".json") -> Path:
        return self.pages_dir / f"{run:05d}-{n:05d}{suffix}"

    def write_page(
        self,
        run: int,
        n: int,
        content: bytes | Any,
        next_request: dict[str, Any] | None,
        newest: str | None = None,
    ) -> Path:
        """Write page ``n`` of ``run``, then the state saying where the run goes on."""
        data = content if isinstance(content, bytes) else _dump(content)
        path = self.page_path(run, n)
        _atomic_write(path, data)
        state = self.state()
        stale = self.page_path(run, n, ".invalid")
        if stale.exists():  # an earlier try of this page was invalid; this one is good
            stale.unlink()
            state["invalid"].pop(stale.name, None)
        self._advance(state, run, n, next_request, newest)
        return path

    def write_invalid(
        self,
        run: int,
        n: int,
        content: bytes,
        url: str,
        error: str,
        next_request: dict[str, Any] | None = None,
    ) -> Path:
        """Save a page that is not JSON as ``.invalid`` and record its URL and error.

        With ``next_request`` the run moves past the page; without it the run stays before it,
        so the next pull fetches it again (and replaces the ``.invalid`` if it then parses).
        """
        path = self.page_path(run, n, ".invalid")
        _atomic_write(path, content)
        state = self.state()
        state["invalid"][path.name] = {"url": url, "error": error}
        if next_request is not None:
            self._advance(state, run, n, next_request, None)
        else:
            progress = state.get("in_progress") or {"run": run, "pages": n - 1, "next": None}
            state["in_progress"] = progress
            self._save(state)
        return path

    def finish_run(self, run: int, cursor: str | None) -> None:
        """Mark ``run`` complete with the cursor the next pull starts from."""
        state = self.state()
        state.update(cursor=cursor, runs=run, in_progress=None)
        self._save(state)

    def pages(self) -> list[Path]:
        """Return the page files (``.json`` and ``.invalid``) in the order the build reads them."""
        if not self.pages_dir.is_dir():
            return []
        return sorted(p for p in self.pages_dir.iterdir() if p.suffix in (".json", ".invalid"))

    def _advance(
        self,
        state: dict[str, Any],
        run: int,
        n: int,
        next_request: dict[str, Any] | None,
        newest: str | None,
    ) -> None:
        progress = state.get("in_progress") or {}
        seen = [v for v in (progress.get("newest"), newest) if v]
        state["in_progress"] = {
            "run": run,
            "pages": n,
            "next": next_request,
            "newest": max(seen, key=_when) if seen else None,
        }
        self._save(state)

    def _save(self, state: dict[str, Any]) -> None:
        _atomic_write(self.state_path, _dump(state, indent=2))


def pull(cfg: Config, names: list[str] | None = None) -> list[PullSummary]:
    """Pull every API source (or those named) into its snapshot; return what each pull did.

    Raises ``PullError`` for an unknown name; a failing source raises after the sources
    before it were pulled (their snapshots are complete).
    """
    api_sources = [src for src in cfg.sources if src.url is not None]
    if names:
        known = {src.name for src in api_sources}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise PullError(
                f"no API source named {', '.join(map(repr, unknown))}; "
                f"API sources in the config: {', '.join(sorted(known)) or 'none'}"
            )
        api_sources = [src for src in api_sources if src.name in names]
    return [pull_source(src, cfg) for src in api_sources]


def pull_source(src: SourceConfig, cfg: Config, *, client: HttpClient | None = None) -> PullSummary:
    """Pull one API source into ``cfg.snapshots_dir``: a new incremental run, or the end of an
    interrupted one. Raises ``PullError`` (source, URL, what to do) if it fails."""
    if src.url is None:
        raise PullError(f"{src.name}: a file source (path: {src.path}); nothing to pull")
    module = puller(src.type)
    store = SnapshotStore(cfg.snapshots_dir, src.name)
    state = store.state()
    progress = state.get("in_progress")
    run = store.begin_run()
    resume = progress.get("next") if progress else None
    n = int(progress["pages"]) if progress else 0
    if progress and resume is None and n > 0:
        # Interrupted after its last page: nothing left to fetch, only the run to close.
        return _finish(store, src, run, 0, 0, 0, resumed=True)
    if progress:
        log.info("%s: resuming run %d after page %d", src.name, run, n)
    own_client = client is None
    client = client or client_for(src)
    written = items = invalid = 0
    try:
        for page in module.pages(src, client, state.get("cursor"), resume):
            if page.error is None and page.items == 0 and page.next is None and store.pages():
                continue  # an empty last page adds nothing to build from
            n += 1
            written += 1
            if page.error is not None:
                store.write_invalid(run, n, page.content, page.url, page.error, page.next)
                invalid += 1
            else:
                store.write_page(run, n, page.content, page.next, page.newest)
                items += page.items
    finally:
        if own_client:
            client.close()
    return _finish(store, src, run, written, items, invalid, resumed=bool(progress))


def client_for(src: SourceConfig, **options: Any) -> HttpClient:
    """Return the ``HttpClient`` for an API source: its base URL, auth headers and token variable.

    ``options`` go to ``HttpClient`` (``timeout``, ``max_tries``, ``backoff``, ``max_pages``,
    ``sleep``...).
    Raises ``PullError`` naming the variable when the token is not in the environment.
    """
    if src.url is None:
        raise PullError(f"{src.name}: a file source (path: {src.path}); nothing to pull")
    module = puller(src.type)
    base_url = module.base_url(src) if hasattr(module, "base_url") else src.url
    headers = module.headers(src)
    return HttpClient(src.name, base_url, headers, token_env=src.token_env, **options)


def _finish(
    store: SnapshotStore,
    src: SourceConfig,
    run: int,
    written: int,
    items: int,
    invalid: int,
    resumed: bool,
) -> PullSummary:
    """Close the run: the cursor moves to the newest item seen, unless a page was invalid."""
    state = store.state()
    cursor = state.get("cursor")
    newest = (state.get("in_progress") or {}).get("newest")
    if any(name.startswith(f"{run:05d}-") for name in state["invalid"]):
        log.warning(
            "%s: run %d saved invalid pages; the cursor stays at %s so the next pull asks again",
            src.name,
            run,
            cursor,
        )
    elif newest and (cursor is None or _when(newest) > _when(cursor)):
        cursor = newest
    store.finish_run(run, cursor)
    log.info("%s: run %d, %d pages, %d items, cursor %s", src.name, run, written, items, cursor)
    return PullSummary(src.name, run, written, items, invalid, cursor, resumed, store.folder)


def _when(value: str) -> Any:
    return parse_datetime(value)


def _dump(obj: Any, indent: int | None = None) -> bytes:
    return (json.dumps(obj, ensure_ascii=False, indent=indent) + "\n").encode("utf-8")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
