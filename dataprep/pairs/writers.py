"""Output formats for pairs: one file per split and format, plus LLaMA-Factory's dataset_info.

Every pair is one system prompt (optional), one user prompt and one assistant response. Each
format is that same pair laid out for one consumer:

- ``chat``: ``<split>.jsonl``, ``{"messages": [...], "metadata": {...}}``; dataprep's own
  format (``read_output`` reads it back), messages plus record ids, task, sources, split, lang.
- ``openai``: ``openai/<split>.jsonl``, ``{"messages": [{"role", "content"}]}`` and nothing
  else, as the OpenAI fine-tuning API accepts it (roles system, user, assistant).
- ``prompt_completion``: ``prompt_completion/<split>.jsonl``, ``{"prompt", "completion"}``,
  TRL's standard (plain text) prompt-completion format. The prompt is the system prompt, a blank
  line and the user prompt, and ends with ``PROMPT_END`` (a blank line) so the completion starts
  on a line of its own; the completion is the response, unchanged.
- ``alpaca``: ``alpaca/<split>.jsonl``, ``{"instruction", "input", "output", "system"}``. The
  user prompt's first paragraph (up to the first blank line) is the instruction, the rest is the
  input ("" when the prompt is one paragraph): dataprep's prompts say what to do first and then
  give the material. LLaMA-Factory rejoins them as ``instruction + "\\n" + input``.
- ``sharegpt``: ``sharegpt/<split>.jsonl``, ``{"conversations": [{"from", "value"}], "system"}``
  with ``from`` human or gpt.
- ``parquet``: ``parquet/<split>.parquet``, the pair schema's columns, with the Arrow types
  ``datasets`` infers from the JSON Lines files (see ``write_parquet``).

``system`` is written on every alpaca and sharegpt row ("" when the pair has none) so every row
has the same columns; LLaMA-Factory reads "" as "use the template's default system prompt".
Files are sorted by pair_id, UTF-8 with "\\n" newlines, and byte-identical for the same pairs.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from dataprep.config import FORMATS
from dataprep.schema import PAIR_SCHEMA, SPLITS

PROMPT_SEPARATOR = "\n\n"  # between the system prompt and the user prompt
PROMPT_END = "\n\n"  # after the prompt, before the completion
DATASET_INFO = "dataset_info.json"
# Rows per Parquet row group, and per cast from Arrow's large types to the 32-bit-offset ones:
# a cast fails when one chunk holds more than 2 GiB of text, which this many rows stay well under.
PARQUET_ROWS = 10_000

# LLaMA-Factory's dataset_info.json entries, as its data/README.md documents them
_LLAMA_FACTORY = {
    "alpaca": {
        "formatting": "alpaca",
        "columns": {
            "prompt": "instruction",
            "query": "input",
            "response": "output",
            "system": "system",
        },
    },
    "sharegpt": {
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system"},
    },
    "openai": {
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        },
    },
}


def format_path(fmt: str, split: str) -> str:
    """Return the file of ``split`` in format ``fmt``, relative to the output folder."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    if fmt == "chat":
        return f"{split}.jsonl"
    if fmt == "parquet":
        return f"parquet/{split}.parquet"
    return f"{fmt}/{split}.jsonl"


def write_formats(
    pairs: pl.DataFrame, folder: Path, splits: tuple[str, ...], formats: list[str] | tuple[str, ...]
) -> list[str]:
    """Write every split in every format named (empty splits too); return the paths written.

    Paths are relative to ``folder``, POSIX style, in the order of ``formats`` then ``splits``.
    """
    paths = [format_path(fmt, split) for fmt in formats for split in splits]
    ordered = pairs.sort("pair_id")
    for split in splits:
        subset = ordered.filter(pl.col("split") == split)
        rows = subset.to_dicts() if any(fmt in LINES for fmt in formats) else []
        for fmt in formats:
            path = folder / format_path(fmt, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "parquet":
                _write_parquet(subset, path)
            else:
                _write_jsonl(rows, path, LINES[fmt])
    return paths


def chat_line(pair: dict) -> str:
    """Return one chat-JSONL line: ``{"messages": [...], "metadata": {...}}``."""
    record = {
        "messages": _messages(pair),
        "metadata": {
            "pair_id": pair["pair_id"],
            "task": pair["task"],
            "record_ids": pair["record_ids"],
            "sources": pair["sources"],
            "split": pair["split"],
            "lang": pair["lang"],
            "tokens": pair.get("tokens"),
        },
    }
    return _dumps(record)


def openai_line(pair: dict) -> str:
    """Return one OpenAI fine-tuning line: ``{"messages": [{"role", "content"}, ...]}``."""
    return _dumps({"messages": _messages(pair)})


def prompt_completion_line(pair: dict) -> str:
    """Return one TRL prompt-completion line: ``{"prompt": ..., "completion": ...}``."""
    system, user, assistant = _turn(pair)
    prompt = (system + PROMPT_SEPARATOR if system else "") + user + PROMPT_END
    return _dumps({"prompt": prompt, "completion": assistant})


def alpaca_line(pair: dict) -> str:
    """Return one Alpaca line: ``{"instruction", "input", "output", "system"}``."""
    system, user, assistant = _turn(pair)
    instruction, _, rest = user.strip().partition("\n\n")
    return _dumps(
        {
            "instruction": instruction.strip(),
            "input": rest.strip(),
            "output": assistant,
            "system": system,
        }
    )


def sharegpt_line(pair: dict) -> str:
    """Return one ShareGPT line: ``{"conversations": [{"from", "value"}, ...], "system"}``."""
    system, user, assistant = _turn(pair)
    conversations = [{"from": "human", "value": user}, {"from": "gpt", "value": assistant}]
    return _dumps({"conversations": conversations, "system": system})


LINES: dict[str, Callable[[dict], str]] = {
    "chat": chat_line,
    "openai": openai_line,
    "prompt_completion": prompt_completion_line,
    "alpaca": alpaca_line,
    "sharegpt": sharegpt_line,
}


def dataset_info(formats: list[str] | tuple[str, ...], splits: tuple[str, ...]) -> dict:
    """Return LLaMA-Factory's ``dataset_info.json`` for the alpaca, sharegpt and openai files.

    One entry per format and split, named ``<format>_<split>`` (``alpaca_train``), with
    ``file_name`` relative to the output folder: point LLaMA-Factory's ``dataset_dir`` at it.
    """
    info: dict[str, Any] = {}
    for fmt in formats:
        if fmt not in _LLAMA_FACTORY:
            continue
        for split in splits:
            entry = {"file_name": format_path(fmt, split), **copy.deepcopy(_LLAMA_FACTORY[fmt])}
            info[f"{fmt}_{split}"] = entry
    return info


def write_dataset_info(
    folder: Path, formats: list[str] | tuple[str, ...], splits: tuple[str, ...]
) -> list[str]:
    """Write ``dataset_info.json`` when a LLaMA-Factory format is written; return its path."""
    info = dataset_info(formats, splits)
    if not info:
        return []
    text = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
    (folder / DATASET_INFO).write_text(text, encoding="utf-8", newline="\n")
    return [DATASET_INFO]


def write_chat_jsonl(pairs: pl.DataFrame, folder: Path, splits: tuple[str, ...]) -> list[Path]:
    """Write ``<split>.jsonl`` for each split named (empty files included); return the paths."""
    return [folder / p for p in write_formats(pairs, folder, splits, ("chat",))]


def read_chat_jsonl(path: Path) -> pl.DataFrame:
    """Return the pairs in a chat-JSONL file as a frame with the pair schema's columns; raise
    ``ValueError`` naming the file and line of a line that is not a pair (a file cut mid-line)."""
    rows = []
    with path.open("rb") as fh:  # bytes: lines end at \n only, as the writers end them
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{n}:{err.colno}: not valid JSON ({err.msg})") from None
            except UnicodeDecodeError:
                raise ValueError(f"{path}:{n}: not UTF-8 text") from None
            if not isinstance(item, dict) or not all(
                isinstance(item.get(k), t) for k, t in (("messages", list), ("metadata", dict))
            ):
                raise ValueError(f"{path}:{n}: not a chat pair (no 'messages' and 'metadata')")
            rows.append({"messages": item["messages"], **item["metadata"]})
    try:
        return pl.DataFrame(rows, schema=PAIR_SCHEMA)
    except (pl.exceptions.PolarsError, TypeError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: pairs that do not fit the pair schema ({first})") from None


def _write_jsonl(pairs: list[dict], path: Path, line: Callable[[dict], str]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for pair in pairs:
            fh.write(line(pair) + "\n")


def write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` to ``path`` as Parquet with the Arrow types JSON loading gives.

    Polars writes ``large_string`` and ``large_list``; ``datasets`` reads JSON Lines as ``string``
    and ``list``, and ``concatenate_datasets`` refuses to mix the two. So every large type is cast
    to its regular form (and view types to plain ones); struct fields keep the frame's order
    (``role``, ``content``, as in the JSON Lines) and integers their width (``tokens`` is int64,
    what JSON inference gives). No statistics, zstd, one row group per ``PARQUET_ROWS`` rows:
    byte-identical for the same frame.
    """
    table = frame.to_arrow()
    schema = pa.schema([pa.field(f.name, regular_type(f.type), f.nullable) for f in table.schema])
    with pq.ParquetWriter(path, schema, compression="zstd", write_statistics=False) as writer:
        for start in range(0, table.num_rows, PARQUET_ROWS):
            writer.write_table(table.slice(start, PARQUET_ROWS).cast(schema))


def regular_type(dtype: pa.DataType) -> pa.DataType:
    """Return ``dtype`` with large and view string, binary and list types made regular."""
    types = pa.types
    if types.is_large_string(dtype) or _is_view(dtype, "is_string_view"):
        return pa.string()
    if types.is_large_binary(dtype) or _is_view(dtype, "is_binary_view"):
        return pa.binary()
    lists = (types.is_list(dtype), types.is_large_list(dtype), _is_view(dtype, "is_list_view"))
    if any(lists) or _is_view(dtype, "is_large_list_view"):
        return pa.list_(regular_type(dtype.value_type))
    if types.is_struct(dtype):
        fields = [dtype.field(i) for i in range(dtype.num_fields)]
        return pa.struct([pa.field(f.name, regular_type(f.type), f.nullable) for f in fields])
    return dtype


def _is_view(dtype: pa.DataType, check: str) -> bool:
    # view types (and their checks) exist from pyarrow 16; pyproject allows 14
    test = getattr(pa.types, check, None)
    return bool(test and test(dtype))


def _write_parquet(pairs: pl.DataFrame, path: Path) -> None:
    columns = [pl.col(name).cast(dtype) for name, dtype in PAIR_SCHEMA.items()]
    write_parquet(pairs.select(columns), path)


def _messages(pair: dict) -> list[dict[str, str]]:
    return [{"role": m["role"], "content": m["content"]} for m in pair["messages"]]


def _turn(pair: dict) -> tuple[str, str, str]:
    """Return (system or "", user, assistant) of a single-turn pair; raise on any other shape."""
    messages = pair["messages"]
    system = ""
    if messages and messages[0]["role"] == "system":
        system, messages = messages[0]["content"], messages[1:]
    roles = [m["role"] for m in messages]
    if roles != ["user", "assistant"]:
        raise ValueError(
            f"pair {pair['pair_id']}: expected messages [system], user, assistant; got {roles}"
        )
    return system, messages[0]["content"], messages[1]["content"]


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
