"""Linear issues, pulled through the GraphQL API page by page with their comments.

Requests (``src.url`` is ``https://api.linear.app``, an explicit ``/graphql`` allowed;
``src.project``, optional, is a team key such as ``ENG``)::

    POST /graphql {"query": ISSUES_QUERY, "variables": {"first": 50, "after": <endCursor>,
                   "filter": {"updatedAt": {"gt": <cursor>}, "team": {"key": {"eq": "ENG"}}}}}
        -> {"data": {"issues": {"nodes": [...], "pageInfo": {"hasNextPage": true,
                                                            "endCursor": "..."}}}}
    POST /graphql {"query": COMMENTS_QUERY, "variables": {"id": ..., "after": ...}}
        # only for an issue with more comments than the first page of its ``comments``

Each page written is the whole GraphQL response as received (``dataprep.connectors.linear``
reads ``data.issues.nodes``), except that an issue with more than ``COMMENTS`` comments gets
all of them in ``comments.nodes`` (and ``hasNextPage: false``). The nested connections are
bounded (labels, comments, relations) to keep a page of 50 issues well under Linear's query
complexity limit of 10,000 points.

A GraphQL ``errors`` list in a 200 response stops the pull with a ``PullError`` naming the
message. Ordered by ``updatedAt`` (newest first), so an issue updated during the pull moves
to a page already read and is newer than the cursor the next pull starts from.

Auth: ``Authorization: $token_env`` (a personal API key, sent as is; an OAuth access token,
``lin_oauth_...``, is sent as ``Bearer``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from dataprep.config import SourceConfig
from dataprep.connectors.http import (
    GraphQLCursorPaginator,
    HttpClient,
    PullError,
    request_dict,
)
from dataprep.connectors.pullers import Page, collect, token, walk

DEFAULT_URL = "https://api.linear.app"
PAGE_SIZE = 50
COMMENTS = 25  # comments fetched with the issue; more come from COMMENTS_QUERY
_GRAPHQL_SUFFIX = re.compile(r"/graphql/?$")

_COMMENT_FIELDS = "body createdAt user { name }"

ISSUES_QUERY = f"""
query Issues($first: Int!, $after: String, $filter: IssueFilter) {{
  issues(first: $first, after: $after, filter: $filter, orderBy: updatedAt) {{
    nodes {{
      id identifier title description priority priorityLabel
      state {{ name type }}
      team {{ key }}
      labels(first: 25) {{ nodes {{ name }} }}
      creator {{ name }}
      assignee {{ name }}
      createdAt updatedAt completedAt canceledAt url
      comments(first: {COMMENTS}) {{
        nodes {{ {_COMMENT_FIELDS} }}
        pageInfo {{ hasNextPage endCursor }}
      }}
      project {{ name }}
      parent {{ identifier }}
      relations(first: 10) {{ nodes {{ type relatedIssue {{ identifier }} }} }}
    }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}
""".strip()

COMMENTS_QUERY = f"""
query IssueComments($id: String!, $after: String) {{
  issue(id: $id) {{
    comments(first: 100, after: $after) {{
      nodes {{ {_COMMENT_FIELDS} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
""".strip()


def base_url(src: SourceConfig) -> str:
    """Return the API root (``https://api.linear.app`` unless ``url`` says otherwise)."""
    return _GRAPHQL_SUFFIX.sub("", src.url or DEFAULT_URL) or DEFAULT_URL


def headers(src: SourceConfig) -> dict[str, str]:
    """Return the Linear headers: the API key as is, an OAuth token as ``Bearer``."""
    secret = token(src) or ""
    auth = f"Bearer {secret}" if secret.startswith("lin_oauth_") else secret
    return {"Authorization": auth, "Content-Type": "application/json"}


def pages(
    src: SourceConfig, client: HttpClient, cursor: str | None, resume: dict[str, Any] | None
) -> Iterator[Page]:
    """Yield the GraphQL pages of issues updated after ``cursor`` (all if None)."""
    yield from walk(
        client,
        resume or first_request(src, cursor),
        GraphQLCursorPaginator(("data", "issues")),
        items=lambda body: ((body.get("data") or {}).get("issues") or {}).get("nodes"),
        updated=lambda issue: issue.get("updatedAt") if isinstance(issue, dict) else None,
        embed=lambda body: embed_comments(client, body),
    )


def first_request(src: SourceConfig, cursor: str | None) -> dict[str, Any]:
    """Return the first issues query, filtered by the cursor and the team key."""
    issue_filter: dict[str, Any] = {}
    if cursor:
        issue_filter["updatedAt"] = {"gt": cursor}
    if src.project:
        issue_filter["team"] = {"key": {"eq": src.project.strip()}}
    variables = {"first": PAGE_SIZE, "after": None, "filter": issue_filter or None}
    return request_dict("POST", "/graphql", json={"query": ISSUES_QUERY, "variables": variables})


def checked(client: HttpClient, body: Any) -> Any:
    """Return ``body`` if it is a GraphQL answer without ``errors``; else raise ``PullError``."""
    if not isinstance(body, dict):
        raise PullError(f"{client.source}: POST {client.base_url}/graphql: not a GraphQL response")
    errors = body.get("errors")
    if errors:
        messages = [
            str(e.get("message") if isinstance(e, dict) else e)
            for e in (errors if isinstance(errors, list) else [errors])
        ]
        raise PullError(
            client.scrub(
                f"{client.source}: POST {client.base_url}/graphql: Linear answered with "
                f"GraphQL errors: {'; '.join(messages)}"
            )
        )
    if not isinstance(body.get("data"), dict):
        raise PullError(f"{client.source}: POST {client.base_url}/graphql: no 'data' in answer")
    return body


def embed_comments(client: HttpClient, body: Any) -> Any:
    """Check the answer, then complete the comments of issues that have more than a page."""
    checked(client, body)
    for issue in ((body["data"].get("issues") or {}).get("nodes")) or ():
        comments = issue.get("comments") if isinstance(issue, dict) else None
        info = comments.get("pageInfo") if isinstance(comments, dict) else None
        if not isinstance(info, dict) or not info.get("hasNextPage"):
            continue
        variables = {"id": issue.get("id"), "after": info.get("endCursor")}
        request = request_dict(
            "POST", "/graphql", json={"query": COMMENTS_QUERY, "variables": variables}
        )
        more = collect(
            client,
            request,
            GraphQLCursorPaginator(("data", "issue", "comments")),
            lambda answer: _comment_nodes(client, answer),
        )
        comments["nodes"] = [*(comments.get("nodes") or []), *more]
        comments["pageInfo"] = {"hasNextPage": False, "endCursor": None}
    return body


def _comment_nodes(client: HttpClient, body: Any) -> Any:
    """Return ``data.issue.comments.nodes`` of a comments answer (None if absent)."""
    issue = checked(client, body)["data"].get("issue")
    comments = issue.get("comments") if isinstance(issue, dict) else None
    return comments.get("nodes") if isinstance(comments, dict) else None
