"""Language on prose only: langdetect's labels on prose; ``und`` for code and too little text."""

from __future__ import annotations

import polars as pl
import pytest
from langdetect import DetectorFactory, detect_langs

from dataprep.text.language import detect, detect_series
from dataprep.text.normalize import prose_expr

PROSE = {
    "en": "The export job fails every night when the report has more than ten thousand rows, "
    "and the scheduler then retries it until the queue is full.",
    "de": "Der Export schlägt jede Nacht fehl, wenn der Bericht mehr als zehntausend Zeilen "
    "enthält, und der Planer versucht es dann erneut, bis die Warteschlange voll ist.",
    "fr": "L'export échoue chaque nuit lorsque le rapport contient plus de dix mille lignes, "
    "puis le planificateur réessaie jusqu'à ce que la file soit pleine.",
    "es": "La exportación falla cada noche cuando el informe tiene más de diez mil filas, y el "
    "planificador lo reintenta hasta que la cola está llena.",
    "it": "L'esportazione fallisce ogni notte quando il rapporto contiene più di diecimila righe "
    "e lo scheduler riprova finché la coda non è piena.",
    "pt": "A exportação falha todas as noites quando o relatório tem mais de dez mil linhas, e o "
    "agendador tenta novamente até a fila ficar cheia.",
    "nl": "De export mislukt elke nacht wanneer het rapport meer dan tienduizend rijen bevat, en "
    "de planner probeert het opnieuw totdat de wachtrij vol is.",
    "ja": "レポートの行数が一万行を超えると、エクスポートジョブが毎晩失敗し、"
    "キューがいっぱいになるまでスケジューラが再試行します。",
    "ru": "Экспорт падает каждую ночь, когда в отчёте больше десяти тысяч строк, и планировщик "
    "повторяет попытки, пока очередь не заполнится.",
}
PYTHON = """import os
import sys
from collections import defaultdict

def load(path):
    with open(path) as fh:
        data = json.load(fh)
    counts = defaultdict(int)
    for item in data["items"]:
        counts[item["kind"]] += 1
    return counts
"""
JAVA_TRACE = """java.lang.NullPointerException: Cannot invoke "String.length()" because "n" is null
\tat com.acme.export.ReportWriter.writeHeader(ReportWriter.java:142)
\tat com.acme.export.ReportWriter.write(ReportWriter.java:88)
\tat com.acme.export.ExportJob.run(ExportJob.java:57)
"""


def lang_of(text: str) -> tuple[str, float]:
    prose = pl.select(prose_expr(pl.lit(text))).item()
    found = detect(prose, 20)
    return found["lang"], found["lang_prob"]


@pytest.mark.parametrize("lang", sorted(PROSE))
def test_prose_gets_the_label_langdetect_gives(lang):
    DetectorFactory.seed = 0
    assert detect_langs(PROSE[lang])[0].lang == lang
    found, prob = lang_of(PROSE[lang])
    assert found == lang
    assert prob > 0.9


def test_plain_langdetect_names_a_language_for_python_code():
    # The reason for the prose view: langdetect is confident about pure code.
    DetectorFactory.seed = 0
    assert detect_langs(PYTHON)[0].prob > 0.9


@pytest.mark.parametrize(
    "text",
    [
        f"```python\n{PYTHON}```",
        PYTHON,
        JAVA_TRACE,
        f"```\n{JAVA_TRACE}```",
        "SELECT id, name FROM users WHERE created_at > now() - interval '1 day';",
        "https://acme.atlassian.net/browse/ACME-12 https://github.com/acme/widgets/issues/7",
    ],
    ids=["fenced-python", "bare-python", "bare-trace", "fenced-trace", "sql", "urls"],
)
def test_code_only_texts_are_undetermined(text):
    assert lang_of(text) == ("und", 0.0)


@pytest.mark.parametrize("lang", ["en", "de", "fr"])
@pytest.mark.parametrize(
    "code", [PYTHON, JAVA_TRACE, f"```\n{PYTHON}```"], ids=["python", "trace", "fenced"]
)
def test_mostly_code_texts_get_the_language_of_their_prose(lang, code):
    text = f"{PROSE[lang]}\n\n{code}\n{code}"
    assert lang_of(text)[0] == lang


def test_too_little_prose_is_undetermined():
    assert lang_of("Fix typo") == ("und", 0.0)
    assert lang_of("") == ("und", 0.0)


def test_a_batch_gives_the_same_labels_in_one_process_and_in_two():
    texts = pl.Series("p", [PROSE[k] for k in sorted(PROSE)] * 3 + [None, "ok"])
    one = detect_series(texts, 20, workers=1)
    assert one.struct.field("lang").to_list()[:9] == sorted(PROSE)
    two = detect_series(texts, 20, workers=2, parallel_min=1)
    assert two.to_list() == one.to_list()
