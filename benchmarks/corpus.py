"""Synthetic tracker records for the benchmarks: shaped like real issues, seeded, any size.

Each issue has a title, a body of about 150 words written from bug-report sentences (a GitHub
issue-form template around them, sometimes a log or stack trace, an e-mail address, a token or an
IP), and a few comments (people, "+1", bots). About 4% are German, French or Spanish. A tenth of
the records are near-copies of an earlier one (a sentence reworded, words dropped or added), the
way re-filed bugs look.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

COMPONENTS = [
    "export", "report", "scheduler", "dashboard", "login page", "search index", "upload worker",
    "billing service", "webhook sender", "CSV importer", "audit log", "notification queue",
    "PDF renderer", "settings page", "mobile app", "API gateway", "cache layer", "SSO bridge",
]  # fmt: skip
ACTIONS = [
    "open the", "click Export on the", "upload a large file to the", "restart the",
    "log in through the", "filter by date in the", "sort the table on the", "refresh the",
]  # fmt: skip
EN = [
    "The {c} fails every night when the input has more than {n} rows.",
    "After the upgrade to {v} the {c} times out after {n} seconds.",
    "Users report that the {c} shows a blank screen instead of the results.",
    "We see the same error in production and staging since last week.",
    "It works when I retry, but only after clearing the browser cache.",
    "The {c} keeps the old value even though the setting was changed.",
    "Memory usage of the {c} grows by about {n} MB an hour until it is killed.",
    "This started after we enabled the new {c} for all customers.",
    "The request returns status 500 and the log shows a null pointer.",
    "Expected the {c} to finish in a few seconds, it takes several minutes.",
    "Only accounts created before {v} are affected, newer ones work fine.",
    "I could not find a workaround other than restarting the {c}.",
    "The documentation says this should be supported, so it looks like a regression.",
    "When two people edit the same record the {c} drops the second change.",
    "Please add an option to turn this off for the whole organisation.",
    "The timestamps in the {c} are shown in UTC instead of the local time zone.",
    "Sorting by name puts lower-case entries after all the upper-case ones.",
    "Our customers depend on this every morning, so it blocks their daily work.",
    "The error message does not say which field is wrong, which confuses people.",
    "A fix would be to validate the input before it reaches the {c}.",
]  # fmt: skip
OTHER = {
    "de": [
        "Der {c} bricht jede Nacht ab, wenn die Datei mehr als {n} Zeilen hat.",
        "Seit dem Update auf {v} reagiert die Seite nicht mehr.",
        "Die Fehlermeldung sagt leider nicht, welches Feld falsch ist.",
        "Wir sehen denselben Fehler in der Produktion und im Test seit letzter Woche.",
        "Nach einem Neustart funktioniert es wieder, aber nur für kurze Zeit.",
    ],
    "fr": [
        "Le {c} échoue chaque nuit lorsque le fichier contient plus de {n} lignes.",
        "Depuis la mise à jour vers {v}, la page ne répond plus du tout.",
        "Le message d'erreur ne dit pas quel champ est incorrect.",
        "Nous voyons la même erreur en production et en recette depuis la semaine dernière.",
        "Après un redémarrage cela fonctionne de nouveau, mais pas longtemps.",
    ],
    "es": [
        "El {c} falla cada noche cuando el archivo tiene más de {n} filas.",
        "Desde la actualización a {v} la página ya no responde.",
        "El mensaje de error no dice qué campo es incorrecto.",
        "Vemos el mismo error en producción y en pruebas desde la semana pasada.",
        "Después de reiniciar vuelve a funcionar, pero solo por poco tiempo.",
    ],
}
TRACE = [
    "Traceback (most recent call last):",
    '  File "app/worker.py", line {n}, in run',
    "    result = job.execute()",
    '  File "app/jobs.py", line 88, in execute',
    "    raise TimeoutError('gave up after retries')",
    "TimeoutError: gave up after retries",
]
LOG = "2024-05-{d:02d} 10:{m:02d}:{s:02d} WARN  worker-{n} retrying batch {b} (attempt {a})"
PEOPLE = ["alice", "bob-dev", "carol.k", "dmitri-v", "erin", "farid", "grace-h", "hiro"]
BOTS = ["dependabot[bot]", "github-actions[bot]", "codecov[bot]", "stale[bot]"]
HUMAN_COMMENTS = [
    "I can reproduce this on {v} with the steps above.",
    "Thanks for the report, we are looking into the {c} now.",
    "The fix is in the next release; it was a missing null check in the {c}.",
    "Could you attach the full log from the {c}? The snippet is cut off.",
]
NOISE_COMMENTS = ["+1", "Same here!", "any update?", ":+1:"]
BOT_COMMENTS = [
    "This issue has been automatically marked as stale because it has not had recent activity.",
    "## Codecov Report\nMerging #{n} will increase coverage by 0.02%.",
]


def sentence(rng: random.Random, lang: str = "en") -> str:
    pool = EN if lang == "en" else OTHER[lang]
    return rng.choice(pool).format(
        c=rng.choice(COMPONENTS),
        n=rng.randint(2, 5000),
        v=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}",
    )


def prose(rng: random.Random, words: int, lang: str = "en") -> str:
    out: list[str] = []
    count = 0
    while count < words:
        s = sentence(rng, lang)
        out.append(s)
        count += len(s.split())
    return " ".join(out)


def issue_body(rng: random.Random, i: int, lang: str, words: int = 150) -> str:
    parts = [
        "<!-- Please fill in every section. Issues without steps to reproduce will be closed. -->",
        "### Describe the bug",
        prose(rng, words * 2 // 3, lang),
        "### Steps to reproduce",
        f"1. {rng.choice(ACTIONS)} {rng.choice(COMPONENTS)}\n2. {prose(rng, 8, lang)}",
        "### Expected behavior",
        prose(rng, words // 3, lang),
        "### Additional context",
        "_No response_",
        "- [ ] I have searched the existing issues\n- [x] I am on the latest version",
    ]
    roll = rng.random()
    if roll < 0.15:
        parts.insert(3, "\n".join(line.format(n=rng.randint(10, 400)) for line in TRACE))
    elif roll < 0.25:
        lines = [
            LOG.format(
                d=rng.randint(1, 28), m=k % 60, s=rng.randint(0, 59), n=k % 4, b=rng.randint(1, 99),
                a=k % 5,
            )
            for k in range(rng.randint(20, 120))
        ]  # fmt: skip
        parts.insert(3, "```\n" + "\n".join(lines) + "\n```")
    roll = rng.random()
    if roll < 0.3:
        parts.append(f"Contact {rng.choice(PEOPLE)}.{i}@acme-corp.com for access.")
    elif roll < 0.35:
        parts.append(f"The worker at 10.{i % 250}.{i % 7}.{i % 200 + 1} stops answering.")
    elif roll < 0.37:
        parts.append("export GITHUB_TOKEN=ghp_" + "".join(rng.choices("abcdefXYZ0123456789", k=36)))
    return "\n\n".join(parts)


def records(n: int, seed: int = 7, words: int = 150, near_dupes: float = 0.1) -> list[dict]:
    """Return ``n`` issue rows (record schema dicts); ``near_dupes`` of them re-filed copies."""
    rng = random.Random(seed)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rows: list[dict] = []
    for i in range(n):
        if i and rng.random() < near_dupes:
            base = rows[rng.randrange(len(rows))]
            body = _reword(rng, base["body"])
            title, lang = base["title"], base["_lang"]
        else:
            lang = "en" if rng.random() >= 0.04 else rng.choice(sorted(OTHER))
            body = issue_body(rng, i, lang, words)
            title = sentence(rng, lang).rstrip(".")
        rows.append(
            {
                "record_id": f"github:acme/app#{i}",
                "source": "github",
                "kind": "issue",
                "project": "acme/app",
                "key": f"#{i}",
                "title": title,
                "body": body,
                "status": rng.choice(["open", "done", "in_progress"]),
                "issue_type": rng.choice(["bug", "feature", "task"]),
                "priority": rng.choice(["high", "medium", "low"]),
                "labels": [rng.choice(["bug", "ui", "backend", "infra"])],
                "author": rng.choice(
                    PEOPLE + ["dependabot[bot]"] * (1 if rng.random() < 0.02 else 0)
                ),
                "assignee": rng.choice(PEOPLE),
                "created_at": t0 + timedelta(minutes=37 * i),
                "updated_at": t0 + timedelta(minutes=37 * i + 90),
                "comments": _comments(rng, t0 + timedelta(minutes=37 * i)),
                "url": f"https://github.com/acme/app/issues/{i}",
                "origin": f"bench.json:$[{i}]",
                "_lang": lang,
            }
        )
    return rows


def _reword(rng: random.Random, body: str) -> str:
    """A re-filed copy: a few words dropped, a sentence added."""
    words = body.split(" ")
    for _ in range(max(1, len(words) // 60)):
        del words[rng.randrange(len(words))]
    return " ".join(words) + " " + sentence(rng)


def _comments(rng: random.Random, at: datetime) -> list[dict]:
    out = []
    for k in range(rng.randint(0, 4)):
        roll = rng.random()
        if roll < 0.15:
            author, body = rng.choice(PEOPLE), rng.choice(NOISE_COMMENTS)
        elif roll < 0.3:
            author, body = rng.choice(BOTS), rng.choice(BOT_COMMENTS).format(n=rng.randint(1, 999))
        else:
            author = rng.choice(PEOPLE)
            body = rng.choice(HUMAN_COMMENTS).format(
                v=f"{rng.randint(1, 9)}.{rng.randint(0, 20)}", c=rng.choice(COMPONENTS)
            )
        out.append({"author": author, "created_at": at + timedelta(hours=k + 1), "body": body})
    return out


def strip_private(rows: list[dict]) -> list[dict]:
    """Return the rows without the generator's own keys (``_lang``)."""
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows]


def titles_bodies(
    n: int, seed: int = 7, words: int = 150, near_dupes: float = 0.1
) -> tuple[list[str], list[str], list[int]]:
    """Return the titles and bodies ``records(n, seed, words, near_dupes)`` would give, and for
    each record the index it is a re-filed copy of (-1 for originals), without building rows.

    It draws from the random stream in the same order as ``records`` (the dedup benchmark
    checks that they agree), so a million records fit in memory.
    """
    rng = random.Random(seed)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    titles: list[str] = []
    bodies: list[str] = []
    langs: list[str] = []
    copy_of: list[int] = []
    for i in range(n):
        if i and rng.random() < near_dupes:
            base = rng.randrange(len(bodies))
            body = _reword(rng, bodies[base])
            title, lang = titles[base], langs[base]
        else:
            base = -1
            lang = "en" if rng.random() >= 0.04 else rng.choice(sorted(OTHER))
            body = issue_body(rng, i, lang, words)
            title = sentence(rng, lang).rstrip(".")
        for options in (["open", "done", "in_progress"], ["bug", "feature", "task"]):
            rng.choice(options)
        rng.choice(["high", "medium", "low"])
        rng.choice(["bug", "ui", "backend", "infra"])
        rng.choice(PEOPLE + ["dependabot[bot]"] * (1 if rng.random() < 0.02 else 0))
        rng.choice(PEOPLE)
        _comments(rng, t0 + timedelta(minutes=37 * i))
        titles.append(title)
        bodies.append(body)
        langs.append(lang)
        copy_of.append(base)
    return titles, bodies, copy_of


def cached_parquet(n: int, seed: int = 7, words: int = 150, near_dupes: float = 0.1) -> str:
    """Return a parquet of ``records(...)`` (plus the generator's ``_lang``), made once in a child
    process so that the caller's peak memory is its own work, not the generator's dicts."""
    import os
    import subprocess
    import sys
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), "dataprep-bench")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"corpus-{n}-{seed}-{words}-{near_dupes}.parquet")
    if not os.path.exists(path):
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]);"
            "import polars as pl; from corpus import records, strip_private;"
            "from dataprep.schema import records_frame;"
            f"rows = records({n}, {seed}, {words}, {near_dupes});"
            "frame = records_frame(strip_private(rows));"
            "frame.with_columns(pl.Series('_lang', [r['_lang'] for r in rows]))"
            ".write_parquet(sys.argv[2] + '.tmp')"
        )
        here = os.path.dirname(os.path.abspath(__file__))
        subprocess.run([sys.executable, "-c", code, here, path], check=True)
        os.replace(path + ".tmp", path)
    return path
