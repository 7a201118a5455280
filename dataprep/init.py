"""``dataprep init``: find the tracker exports and changelogs under a folder, write a config.

Every file under PATH is recognised by its content (``dataprep.connectors.detect``), never by
its name. Files are grouped into sources, one per source type and folder: a glob
(``jira/*.json``) when every file it matches is of that type, else one source per file. Source
names come from the content (a Jira project key, a GitHub owner/repo, the project release notes
name), else from the folder. The config is written with a comment per source saying what was
recognised, and must load with ``load_config`` as written; a file no source takes is reported
with its reason.
"""

from __future__ import annotations

import glob
import os
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dataprep.config import (
    CONFIG_NAME,
    TASKS,
    CleanConfig,
    Config,
    ConfigError,
    parse_config,
)
from dataprep.connectors.detect import DETECTORS, Detection, NotRecognised, identify

# A folder tree larger than this is not a folder of exports (init was pointed at a home or a
# disk); stop and say so rather than sniff for minutes.
MAX_FILES = 20_000
# Folders that never hold exports: caches and package trees (hidden folders are skipped too).
SKIP_FOLDERS = ("__pycache__", "node_modules", "site-packages")
# Added to a name two sources share (by type), so both stay meaningful.
TYPE_TAGS = {"github_release": "releases", "azure_devops": "ado"}
_MAX_NAME = 48


class InitError(ConfigError):
    """No config can be written; the message says why and what to do. ``unplaced`` lists the
    files that were looked at and not taken, with their reasons."""

    def __init__(self, message: str, unplaced: list[Unplaced] | None = None) -> None:
        super().__init__(message)
        self.unplaced = unplaced or []


@dataclass(frozen=True)
class Unplaced:
    """A file (or folder) left out of the config, and why."""

    path: Path
    reason: str

    def shown(self) -> str:
        """Return the path relative to the current folder when below it, else absolute."""
        try:
            return self.path.relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return self.path.as_posix()


@dataclass(frozen=True)
class FoundSource:
    """One source of the config, and what was recognised in its files."""

    name: str
    type: str
    path: str  # as written in the config: relative to its folder, a file or a glob
    files: list[Path]
    shape: str  # "Jira REST search JSON"; shapes joined with " + " when files differ
    unit: str  # what ``items`` counts: issues, releases, work items, versions
    items: int | None  # issues or versions in the files counted; None: none counted
    counted_all: bool  # whether every file was counted (large files are not)
    format: str | None = None  # set when the files' extension would mislead the connector
    project: str | None = None  # changelogs: the project the notes name
    notes: list[str] = field(default_factory=list)

    def entry(self) -> dict[str, str]:
        """Return the source as the config's mapping."""
        entry = {"name": self.name, "type": self.type, "path": self.path}
        if self.format:
            entry["format"] = self.format
        if self.project:
            entry["project"] = self.project
        return entry

    def summary(self) -> str:
        """Return what was recognised, for people: ``Jira REST search JSON: 2 files, 44 issues``."""
        files = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        return f"{self.shape}: {files}" + (f", {self.count()}" if self.count() else "")

    def count(self) -> str:
        """Return the items counted (``44 issues``, ``44+ issues``), or '' if none were."""
        if self.items is None:
            return ""
        unit = self.unit[:-1] if self.items == 1 else self.unit
        return f"{self.items}{'' if self.counted_all else '+'} {unit}"


@dataclass(frozen=True)
class InitResult:
    """What ``init_config`` found and wrote."""

    config_path: Path
    sources: list[FoundSource]
    unplaced: list[Unplaced]  # files looked at and left out, each with its reason
    skipped: list[Unplaced]  # folders not looked into: dataprep outputs, virtualenvs, caches
    entries_seen: int  # files and other entries (symlinks, pipes) looked at


def init_config(
    path: str | Path = ".", config: str | Path | None = None, force: bool = False
) -> InitResult:
    """Write a config for the exports and changelogs under ``path`` to ``config`` (default
    ``./dataprep.yaml``) and return what was found; raise ``InitError`` when there is nothing
    to write, or the config exists and ``force`` is not set."""
    root = Path(path)
    config_path = Path(config) if config is not None else Path.cwd() / CONFIG_NAME
    if not root.exists():
        raise InitError(f"no such file or folder: '{path}'; give the folder holding your exports")
    if config_path.is_dir():
        raise InitError(f"{config_path} is a folder; give --config a file name")
    if (config_path.exists() or config_path.is_symlink()) and not force:
        raise InitError(f"{config_path} already exists; pass --force to overwrite it")
    config_dir = config_path.absolute().parent.resolve()
    files, left_out, skipped = walk(root.resolve(), skip={config_dir / config_path.name})
    unplaced = list(left_out)
    if not files and not unplaced:
        raise InitError(f"no files under '{path}'; give the folder holding your exports")
    found: list[tuple[Path, Detection]] = []
    for file in files:
        detected = identify(file)
        if isinstance(detected, NotRecognised):
            unplaced.append(Unplaced(file, detected.reason))
        else:
            found.append((file, detected))
    if not found:
        raise InitError(
            f"nothing under '{path}' is a tracker export or release notes dataprep reads "
            f"({len(files)} file{'s' if len(files) != 1 else ''} looked at)",
            sorted(unplaced, key=lambda u: u.path),
        )
    config_dir.mkdir(parents=True, exist_ok=True)  # globs are checked against it
    sources = group_sources(found, config_dir, root.resolve())
    text = render_config(sources, _output_folder(config_dir), _shown(root))
    _check_loads(text, sources, config_dir)
    target = config_dir / config_path.name
    partial = target.with_name(f".{target.name}.init")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
    unplaced.sort(key=lambda u: u.path)
    return InitResult(config_path, sources, unplaced, skipped, len(files) + len(left_out))


# --- finding the files ------------------------------------------------------------------------


def walk(root: Path, skip: set[Path]) -> tuple[list[Path], list[Unplaced], list[Unplaced]]:
    """Return the files under ``root`` to look at (sorted), the entries that cannot be looked
    at (with reasons) and the folders left out (with reasons).

    Hidden files and folders (``.git``, ``.venv``, ``.dataprep``) are skipped; symlinks to
    folders are not followed (no loops, nothing outside ``root``); only regular files are read.
    """
    if not root.is_dir():
        return [root], [], []
    files: list[Path] = []
    unplaced: list[Unplaced] = []
    skipped: list[Unplaced] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as error:
            unplaced.append(Unplaced(folder, f"cannot list the folder: {error.strerror}"))
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            entry_path = Path(entry.path)
            kind = _entry_kind(entry)
            if kind == "folder":
                reason = _skip_reason(entry_path)
                if reason:
                    skipped.append(Unplaced(entry_path, reason))
                else:
                    subfolders.append(entry_path)
            elif kind == "file":
                if entry_path not in skip:
                    files.append(entry_path)
            else:
                unplaced.append(Unplaced(entry_path, kind))
        stack.extend(reversed(subfolders))
        if len(files) > MAX_FILES:
            raise InitError(
                f"more than {MAX_FILES} files under '{root}'; point init at the folder holding "
                "your exports"
            )
    return sorted(files), unplaced, skipped


def _entry_kind(entry: os.DirEntry) -> str:
    """Return ``file``, ``folder``, or why the entry is not looked at."""
    try:
        if entry.is_symlink():
            target = Path(entry.path)
            if not target.exists():
                return "a broken symlink (or a symlink loop)"
            if target.is_dir():
                return "a symlink to a folder: not followed (give its target as PATH)"
        if entry.is_dir(follow_symlinks=False):
            return "folder"
        return "file"
    except OSError as error:
        return f"cannot read it: {error.strerror}"


def _skip_reason(folder: Path) -> str | None:
    if folder.name in SKIP_FOLDERS:
        return "caches and packages, not exports"
    if (folder / "pyvenv.cfg").is_file():
        return "a Python virtual environment"
    if _is_output(folder):
        return "a dataprep output folder"
    return None


def _is_output(folder: Path) -> bool:
    return (folder / "manifest.json").is_file() and (folder / "records.parquet").is_file()


# --- grouping files into sources --------------------------------------------------------------


def group_sources(
    found: list[tuple[Path, Detection]], config_dir: Path, root: Path
) -> list[FoundSource]:
    """Return the sources for the recognised files: one per type and folder, with a glob when it
    matches exactly the group's files, else one per file; names unique."""
    groups: dict[tuple, list[tuple[Path, Detection]]] = defaultdict(list)
    for file, detected in found:
        override = _format_override(detected, file)
        project = detected.project if detected.type == "changelog" else None
        groups[(file.parent, detected.type, override, project)].append((file, detected))
    planned: list[_Planned] = []
    for (folder, _, _, _), members in groups.items():
        label = _label([d for _, d in members])
        for pattern, chosen in _patterns(folder, [f for f, _ in members], config_dir):
            part = [(f, d) for f, d in members if f in chosen]
            own = label if len(part) == len(members) else _label([d for _, d in part])
            planned.append(_Planned(pattern, part, own or _folder_label(folder, root)))
    order = list(DETECTORS)
    planned.sort(key=lambda p: (order.index(p.type), p.pattern))
    names = _unique_names(planned)
    return [_source(name, p.pattern, p.members) for name, p in zip(names, planned, strict=True)]


@dataclass(frozen=True)
class _Planned:
    """A source before it is named: its path, its files, and the name its content gives."""

    pattern: str
    members: list[tuple[Path, Detection]]
    label: str

    @property
    def type(self) -> str:
        return self.members[0][1].type


def _format_override(detected: Detection, file: Path) -> str | None:
    """Return the format to set when the connector would read the file by its extension wrongly
    (a Jira CSV saved as ``export.txt``), else None."""
    if detected.type not in ("jira", "linear", "azure_devops"):
        return None
    ext = file.suffix.lower().lstrip(".")
    by_extension = ext if ext == "csv" or (detected.type == "jira" and ext == "xml") else "json"
    return None if detected.format == by_extension else detected.format


def _patterns(folder: Path, files: list[Path], config_dir: Path) -> list[tuple[str, set[Path]]]:
    """Return (path as written in the config, files it matches): one glob for all the files
    when it matches no other file, else each file on its own."""
    base = _relative(folder, config_dir)
    if len(files) > 1:
        suffixes = {f.suffix for f in files}
        candidates = [f"*{glob.escape(suffixes.pop())}"] if len(suffixes) == 1 else []
        for name in [c for c in candidates if c != "*"] + ["*"]:
            pattern = name if base == "." else f"{glob.escape(base)}/{name}"
            if _matches(pattern, config_dir) == set(files):
                return [(pattern, set(files))]
    return [(_escaped(f, config_dir), {f}) for f in files]


def _matches(pattern: str, config_dir: Path) -> set[Path]:
    """Return the files ``pattern`` matches as a build resolves it (against the config folder)."""
    matched = glob.glob(os.path.join(glob.escape(str(config_dir)), pattern), recursive=True)
    # The config folder is resolved, so a ".." after it is only a step up: normpath is exact.
    return {Path(os.path.normpath(p)) for p in matched if os.path.isfile(p)}


def _relative(path: Path, config_dir: Path) -> str:
    try:
        relative = Path(os.path.relpath(path, config_dir)).as_posix()
    except ValueError:  # another drive (Windows): only an absolute path reaches it
        return path.as_posix()
    return f"./{relative}" if relative.startswith("~") else relative


def _escaped(file: Path, config_dir: Path) -> str:
    """Return a file's path as the config must write it: a build reads ``path`` as a glob."""
    folder, name = os.path.split(_relative(file, config_dir))
    return f"{glob.escape(folder)}/{glob.escape(name)}" if folder else glob.escape(name)


def _label(detections: list[Detection]) -> str | None:
    """Return the name the content gives most often, each file weighted by its items."""
    weights: Counter[str] = Counter()
    for d in detections:
        if d.label:
            weights[d.label] += d.items or 1
    return min(weights, key=lambda k: (-weights[k], k)) if weights else None


def _folder_label(folder: Path, root: Path) -> str:
    return folder.name or root.name or "data"


def _unique_names(planned: list[_Planned]) -> list[str]:
    """Return a name per source: the slug of its label. Sources sharing one get what tells
    them apart added: the type when theirs is the only one of it, else the folder when each
    is in its own, else the file's stem; numbered if still shared."""
    bases = [_slug(p.label) for p in planned]
    shared: dict[str, list[_Planned]] = defaultdict(list)
    for base, p in zip(bases, planned, strict=True):
        shared[base].append(p)
    names = []
    for base, p in zip(bases, planned, strict=True):
        others = shared[base]
        if len(others) > 1:
            if sum(o.type == p.type for o in others) == 1:
                extra = TYPE_TAGS.get(p.type, p.type)
            else:
                same = [o for o in others if o.type == p.type]
                folders = {o.members[0][0].parent for o in same}
                file = p.members[0][0]
                apart = len(folders) == len(same) or len(p.members) > 1
                extra = _slug(file.parent.name if apart else file.stem)
            while extra.startswith(f"{base}-"):
                extra = extra[len(base) + 1 :]
            base = _slug(f"{base}-{extra}")
        names.append(base)
    unique: list[str] = []
    for name in names:
        number, candidate = 1, name
        while candidate in unique:
            number += 1
            candidate = f"{name}-{number}"
        unique.append(candidate)
    return unique


def _slug(text: str) -> str:
    """Return ``text`` as a name: lower-case words joined by ``-``; a long one keeps its start
    and its end (where file names differ: ``..._4.2.1``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > _MAX_NAME:
        half = _MAX_NAME // 2
        slug = f"{slug[:half].strip('-')}-{slug[-(_MAX_NAME - half - 1) :].strip('-')}"
    return slug or "source"


def _source(name: str, pattern: str, members: list[tuple[Path, Detection]]) -> FoundSource:
    detections = [d for _, d in members]
    first = detections[0]
    counted = [d.items for d in detections if d.items is not None]
    notes = []
    for file, d in members:
        if d.note:
            notes.append(f"{file.name}: {d.note}" if len(members) > 1 else d.note)
    return FoundSource(
        name=name,
        type=first.type,
        path=pattern,
        files=[f for f, _ in members],
        shape=" + ".join(dict.fromkeys(d.shape for d in detections)),
        unit=first.unit,
        items=sum(counted) if counted else None,
        counted_all=len(counted) == len(detections),
        format=_format_override(first, members[0][0]),
        project=first.project,
        notes=list(dict.fromkeys(notes)),
    )


# --- the config file --------------------------------------------------------------------------


def render_config(sources: list[FoundSource], output: str, shown_root: str) -> str:
    """Return the config's YAML: the sources, each under a comment saying what was recognised,
    then the main optional settings at their defaults."""
    lines = [
        f"# dataprep build config, written by `dataprep init` for the files in {shown_root}.",
        "# Paths are relative to this file. Check the sources, then run `dataprep build`.",
        '# Every setting and its default: README.md ("The config file") and dataprep/config.py.',
        "",
        "sources:",
    ]
    for src in sources:
        lines.append(f"  # {_comment(src.summary())}")
        lines += [f"  #   {_comment(note)}" for note in src.notes]
        lines.append(f"  - {_flow(src.entry())}")
    lines += ["", "# The main optional settings, at their defaults.", "clean:"]
    languages = _setting("languages", CleanConfig().languages)
    lines.append(f"  {languages}  # others are dropped; add und to keep text too short to tell")
    lines += ["pairs:", "  # the built-in tasks; remove one to switch it off", *_tasks_lines()]
    lines.append(f"{_setting('output', output)}  # the build's folder (replaced whole)")
    return "\n".join(lines) + "\n"


def _flow(value: dict) -> str:
    """Return a mapping as one line of YAML flow style, quoted where YAML needs it."""
    text = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, width=2**31 - 1, allow_unicode=True
    )
    return text.strip()


def _setting(key: str, value: object) -> str:
    """Return ``key: value`` as one line of YAML: the flow mapping ``{key: value}`` unbraced."""
    return _flow({key: value})[1:-1]


def _tasks_lines() -> list[str]:
    lines, line = [], "  tasks: ["
    for i, task in enumerate(TASKS):
        item = task + ("]" if i == len(TASKS) - 1 else ",")
        if len(line) + len(item) + 1 > 96:
            lines.append(line.rstrip())
            line = " " * len("  tasks: [")
        line += item if line.endswith(("[", " ")) else f" {item}"
    return [*lines, line]


def _comment(text: str) -> str:
    """Return ``text`` fit for one comment line: file names may hold control characters."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)


def _output_folder(config_dir: Path) -> str:
    """Return ``out``, or ``dataprep-out`` when an ``out`` folder holds something else (a build
    refuses to replace a folder it did not make)."""
    out = config_dir / Config(sources=[]).output
    return out.name if not out.exists() or _is_output(out) else "dataprep-out"


def _shown(root: Path) -> str:
    return _comment(root.as_posix() if str(root) not in ("", ".") else "this folder")


def _check_loads(text: str, sources: list[FoundSource], config_dir: Path) -> None:
    """Raise ``InitError`` if the text would not load as the config meant (a bug, not the
    user's mistake), so a broken config is never written."""
    try:
        cfg = parse_config(yaml.safe_load(text), base_dir=config_dir)
    except (ConfigError, yaml.YAMLError) as error:
        raise InitError(f"the config init made does not load ({error}); please report it") from None
    written = [(s.name, s.type, s.path, s.format, s.project) for s in cfg.sources]
    meant = [(s.name, s.type, s.path, s.format, s.project) for s in sources]
    if written != meant:
        raise InitError("the config init made reads back differently; please report it")
