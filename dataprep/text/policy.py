"""Access policy: records a dataset must never hold are dropped first, before their text is read.

A record with a security level (Jira issue security, GitLab confidential) is restricted by the
people who filed it; it is dropped unless its level is allowed in the config. Project and label
allow/deny lists cover what a tracker does not mark (an HR project, a ``customer-data`` label).
"""

from __future__ import annotations

import polars as pl

from dataprep.config import PolicyConfig
from dataprep.schema import first_failing


def policy_verdicts(cfg: PolicyConfig) -> tuple[pl.Expr, pl.Expr]:
    """Return (reason, detail) expressions: the policy rule a record breaks, else null."""
    level = pl.col("security_level")
    project = pl.col("project")
    labels = pl.col("labels")
    rules: list[tuple[pl.Expr, str, pl.Expr]] = [
        (
            level.is_not_null() & ~level.is_in(cfg.allow_security_levels),
            "policy:security-level",
            pl.format("security level '{}' is not in policy.allow_security_levels", level),
        ),
        (
            project.is_in(cfg.deny_projects).fill_null(False),
            "policy:project",
            pl.format("project '{}' is in policy.deny_projects", project),
        ),
        (
            labels.list.eval(pl.element().is_in(cfg.deny_labels)).list.any(),
            "policy:label",
            pl.format(
                "label '{}' is in policy.deny_labels",
                labels.list.eval(
                    pl.element().filter(pl.element().is_in(cfg.deny_labels))
                ).list.first(),
            ),
        ),
    ]
    if cfg.allow_projects:
        rules.append(
            (
                ~project.is_in(cfg.allow_projects).fill_null(False),
                "policy:project",
                pl.format("project '{}' is not in policy.allow_projects", project.fill_null("")),
            )
        )
    if cfg.allow_labels:
        rules.append(
            (
                ~labels.list.eval(pl.element().is_in(cfg.allow_labels)).list.any(),
                "policy:label",
                pl.lit("no label in policy.allow_labels"),
            )
        )
    return first_failing(rules)
