"""Access policy: confidential tickets never reach a dataset, and the reason says which rule."""

from __future__ import annotations

import polars as pl

from dataprep.config import PolicyConfig, parse_config
from dataprep.text.policy import policy_verdicts

from .conftest import issue


def verdicts(frame: pl.DataFrame, cfg: PolicyConfig) -> dict[str, tuple[str, str] | None]:
    reason, detail = policy_verdicts(cfg)
    rows = frame.select("record_id", reason.alias("r"), detail.alias("d")).iter_rows()
    return {rid: (r, d) if r else None for rid, r, d in rows}


def test_any_security_level_is_dropped_unless_allowed(make_records):
    frame = make_records(
        issue("jira:OPS-1", "Open ticket", "text"),
        issue("jira:OPS-2", "Restricted", "text", security_level="Security team only"),
        issue("gitlab:a/b#3", "Confidential", "text", security_level="confidential"),
    )
    assert verdicts(frame, PolicyConfig()) == {
        "jira:OPS-1": None,
        "jira:OPS-2": (
            "policy:security-level",
            "security level 'Security team only' is not in policy.allow_security_levels",
        ),
        "gitlab:a/b#3": (
            "policy:security-level",
            "security level 'confidential' is not in policy.allow_security_levels",
        ),
    }
    allowed = verdicts(frame, PolicyConfig(allow_security_levels=["confidential"]))
    assert allowed["gitlab:a/b#3"] is None and allowed["jira:OPS-2"] is not None


def test_project_and_label_lists_with_deny_winning(make_records):
    frame = make_records(
        issue("jira:HR-1", "Payroll", "text", project="HR"),
        issue("jira:ACME-1", "Export", "text", labels=["customer-data", "export"]),
        issue("jira:ACME-2", "Search", "text", labels=["search"]),
        issue("jira:WEB-1", "Theme", "text", project="WEB", labels=["export"]),
    )
    cfg = PolicyConfig(
        allow_projects=["ACME", "HR"],
        deny_projects=["HR"],
        allow_labels=["export", "search"],
        deny_labels=["customer-data"],
    )
    assert verdicts(frame, cfg) == {
        "jira:HR-1": ("policy:project", "project 'HR' is in policy.deny_projects"),
        "jira:ACME-1": ("policy:label", "label 'customer-data' is in policy.deny_labels"),
        "jira:ACME-2": None,
        "jira:WEB-1": ("policy:project", "project 'WEB' is not in policy.allow_projects"),
    }


def test_allow_labels_drops_records_with_none_of_them(make_records):
    frame = make_records(
        issue("jira:A-1", "x", "t", labels=[]), issue("jira:A-2", "y", "t", labels=["public"])
    )
    assert verdicts(frame, PolicyConfig(allow_labels=["public"])) == {
        "jira:A-1": ("policy:label", "no label in policy.allow_labels"),
        "jira:A-2": None,
    }


def test_policy_is_read_from_the_config():
    cfg = parse_config(
        {
            "sources": [{"name": "j", "type": "jira", "path": "x.json"}],
            "clean": {"policy": {"deny_labels": ["legal-hold"], "allow_security_levels": ["Dev"]}},
        }
    )
    assert cfg.clean.policy.deny_labels == ["legal-hold"]
    assert cfg.clean.policy.allow_security_levels == ["Dev"]
