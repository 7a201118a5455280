"""Normalisation: mojibake, NFKC, whitespace, stack traces fenced, long logs truncated."""

from __future__ import annotations

import polars as pl

from dataprep.text.normalize import (
    fence_traces,
    normalize_expr,
    normalize_frame,
    prose_expr,
    truncate_blocks,
)
from tests.conftest import issue


def normalized(make_records, max_log_lines: int = 40, **fields) -> dict:
    frame = make_records(issue("github:acme/app#1", **fields))
    return normalize_frame(frame, max_log_lines).row(0, named=True)


def test_mojibake_is_repaired_and_curly_quotes_kept(make_records):
    row = normalized(
        make_records,
        title="CafÃ© menu shows wrong prices",
        body="I donâ€™t see the â€œSaveâ€\x9d button.\r\nPlain text stays: SÃO PAULO office.",
    )
    assert row["title"] == "Café menu shows wrong prices"
    assert row["body"] == "I don’t see the “Save” button.\nPlain text stays: SÃO PAULO office."


def test_nfkc_and_whitespace_and_title_on_one_line(make_records):
    row = normalized(
        make_records,
        title="  Export\n  fails\tfor ﬁles  ",
        body="Full-width ＡＢＣ and ﬁ ligature.   \r\n\r\n\r\n\r\nNext paragraph.  \n",
    )
    assert row["title"] == "Export fails for files"
    assert row["body"] == "Full-width ABC and fi ligature.\n\nNext paragraph."


def test_comment_bodies_and_release_entries_are_normalised(make_records):
    frame = make_records(
        issue(
            "github:acme/app#1",
            title="t",
            body="b",
            comments=[{"author": "erin", "created_at": None, "body": "Itâ€™s fixed.  \r\n"}],
            entries=[{"section": "fixed", "text": "Fix ＣＳＶ export", "refs": ["#12"]}],
        )
    )
    out = normalize_frame(frame, 40)
    assert out.schema == frame.schema
    assert out["comments"][0][0]["body"] == "It’s fixed."
    assert out["entries"][0][0] == {"section": "fixed", "text": "Fix CSV export", "refs": ["#12"]}


def test_python_traceback_in_prose_is_fenced_with_chained_exception():
    text = (
        "Running the importer gives:\n"
        "Traceback (most recent call last):\n"
        '  File "importer.py", line 41, in load\n'
        "    rows = parse(fh)\n"
        "KeyError: 'sku'\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "cli.py", line 9, in main\n'
        "ValueError: bad file\n"
        "It used to work in 2.3."
    )
    assert fence_traces(text) == (
        "Running the importer gives:\n"
        "```\n"
        "Traceback (most recent call last):\n"
        '  File "importer.py", line 41, in load\n'
        "    rows = parse(fh)\n"
        "KeyError: 'sku'\n"
        "\n"
        "During handling of the above exception, another exception occurred:\n"
        "\n"
        "Traceback (most recent call last):\n"
        '  File "cli.py", line 9, in main\n'
        "ValueError: bad file\n"
        "```\n"
        "It used to work in 2.3."
    )


def test_java_trace_with_cause_is_fenced_with_its_exception_line():
    text = (
        "Startup fails on Tomcat 10:\n"
        'Exception in thread "main" java.lang.IllegalStateException: no datasource\n'
        "\tat com.acme.db.Pool.open(Pool.java:88)\n"
        "\tat com.acme.App.main(App.java:12)\n"
        "Caused by: java.net.ConnectException: Connection refused\n"
        "\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n"
        "\t... 4 more\n"
        "Any idea?"
    )
    lines = text.split("\n")
    assert fence_traces(text).split("\n") == [lines[0], "```", *lines[1:7], "```", lines[7]]


def test_js_dotnet_and_go_traces_are_fenced():
    js = "TypeError: x is not a function\n    at render (app.js:10:5)\n    at main (app.js:2:1)"
    dotnet = (
        "System.NullReferenceException: Object reference not set to an instance of an object.\n"
        "   at Acme.Orders.Service.Load() in C:\\src\\Service.cs:line 42\n"
        "   at Acme.Program.Main() in C:\\src\\Program.cs:line 5"
    )
    go = (
        "panic: runtime error: index out of range [3] with length 3\n\n"
        "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:12 +0x1d\nexit status 2"
    )
    for trace in (js, dotnet, go):
        assert (
            fence_traces(f"Seen today:\n{trace}\nThanks")
            == f"Seen today:\n```\n{trace}\n```\nThanks"
        )


def test_traces_already_in_code_blocks_and_prose_with_at_are_left_alone():
    text = (
        '```\nTraceback (most recent call last):\n  File "a.py", line 1\nValueError\n```\n'
        "We meet at noon.\n  at least twice a week"
    )
    assert fence_traces(text) == text


def test_long_block_keeps_two_thirds_head_and_one_third_tail():
    log = "\n".join(f"10:00:{i:02d} WARN retry {i}" for i in range(100))
    text = f"Log:\n```text\n{log}\n```\nEnd."
    kept = [f"10:00:{i:02d} WARN retry {i}" for i in range(100)]
    assert truncate_blocks(text, 10).split("\n") == [
        "Log:",
        "```text",
        *kept[:6],
        "[... 91 lines truncated ...]",
        *kept[97:],
        "```",
        "End.",
    ]


def test_short_blocks_and_unfenced_lines_are_not_truncated():
    text = "```\na\nb\nc\n```\n" + "\n".join(f"line {i}" for i in range(30))
    assert truncate_blocks(text, 5) == text


def test_normalize_frame_truncates_a_fenced_trace(make_records):
    frames = "\n".join(f"\tat com.acme.Step{i}.run(Step{i}.java:{i})" for i in range(60))
    body = f"Crash:\njava.lang.StackOverflowError\n{frames}\nPlease help."
    row = normalized(make_records, max_log_lines=7, title="t", body=body)
    assert row["body"].split("\n") == [
        "Crash:",
        "```",
        "java.lang.StackOverflowError",
        "\tat com.acme.Step0.run(Step0.java:0)",
        "\tat com.acme.Step1.run(Step1.java:1)",
        "\tat com.acme.Step2.run(Step2.java:2)",
        "[... 55 lines truncated ...]",
        "\tat com.acme.Step58.run(Step58.java:58)",
        "\tat com.acme.Step59.run(Step59.java:59)",
        "```",
        "Please help.",
    ]


def test_existing_expressions_still_work():
    frame = pl.DataFrame(
        {"t": ["a  \r\n\r\n\r\nb", "See `x` at https://a.example/x and ```\ncode\n```"]}
    )
    out = frame.select(normalize_expr(pl.col("t")).alias("n"), prose_expr(pl.col("t")).alias("p"))
    assert out["n"].to_list() == ["a\n\nb", "See `x` at https://a.example/x and ```\ncode\n```"]
    assert out["p"].to_list() == ["a b", "See at and"]
