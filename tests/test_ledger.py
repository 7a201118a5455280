import pytest

from dataprep.ledger import Ledger, LedgerError
from dataprep.schema import rejected_frame


def test_counts_that_add_up_are_recorded_by_reason_family():
    ledger = Ledger()
    rejected = rejected_frame(
        [
            {"record_id": "a", "stage": "dedup", "reason": "dedup:exact-of:jira:A-1", "detail": ""},
            {"record_id": "b", "stage": "dedup", "reason": "dedup:exact-of:jira:A-2", "detail": ""},
        ]
    )
    ledger.record("dedup", 5, 3, rejected)
    assert ledger.to_list() == [
        {
            "stage": "dedup",
            "unit": "records",
            "received": 5,
            "kept": 3,
            "rejected": 2,
            "quarantined": 0,
            "reasons": {"dedup:exact-of": 2},
        }
    ]


def test_quarantined_items_count_towards_the_total():
    ledger = Ledger()
    count = ledger.record("read", 4, 3, None, ["parse:invalid-json"])
    assert (count.kept, count.rejected, count.quarantined) == (3, 0, 1)


def test_lost_rows_fail_loudly():
    with pytest.raises(LedgerError, match="received 5 != kept 3 \\+ rejected 0 \\+ quarantined 0"):
        Ledger().record("clean", 5, 3, None)
