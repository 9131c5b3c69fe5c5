"""The Graph client's waiting: Retry-After in seconds or as a date, backoff without one, the budget."""

from __future__ import annotations

import email.utils
import time
from types import SimpleNamespace

import pytest

from toolkit.tenant.graph import Graph, GraphError, OutOfTime, retry_after


def test_retry_after_forms():
    assert retry_after("7", 0) == 7.0
    now = time.time()
    date = email.utils.formatdate(now + 20, usegmt=True)
    assert 18 <= retry_after(date, 0, now) <= 21
    assert retry_after(None, 0) == 1 and retry_after(None, 3) == 8 and retry_after("nonsense", 10) == 32
    assert retry_after(email.utils.formatdate(now - 100, usegmt=True), 0, now) == 0


class Answers:
    """A fake session: answers in order."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.headers = {}

    def get(self, url, **kwargs):
        status, headers, body = self.answers.pop(0)
        return SimpleNamespace(status_code=status, headers=headers, json=lambda: body, url=url, reason="x", content=b"")


def graph(session, budget=10.0):
    waits = []
    credential = SimpleNamespace(get_token=lambda *s, **k: SimpleNamespace(token="t", expires_on=time.time() + 3600))
    g = Graph(credential, "https://graph.example", budget_s=budget, sleep=waits.append)
    g.session = session
    return g, waits


def test_pages_follow_next_link_and_retry_after_429():
    session = Answers(
        (200, {}, {"value": [{"id": 1}], "@odata.nextLink": "https://graph.example/next"}),
        (429, {"Retry-After": "3"}, {}),
        (200, {}, {"value": [{"id": 2}]}),
    )
    g, waits = graph(session)
    assert [r["id"] for page in g.pages("https://graph.example/v1.0/applications") for r in page] == [1, 2]
    assert waits == [3.0] and g.retries == 1


def test_budget_and_errors():
    g, waits = graph(Answers((429, {"Retry-After": "60"}, {})), budget=5)
    with pytest.raises(OutOfTime, match="asked to wait 60 s"):
        g.get("https://graph.example/x")
    assert waits == []
    g, _ = graph(Answers((403, {}, {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}})))
    with pytest.raises(GraphError) as caught:
        g.get("https://graph.example/x")
    assert caught.value.status == 403 and caught.value.code == "Authorization_RequestDenied"
    g, _ = graph(Answers((200, {}, {"no": "value"})))
    with pytest.raises(GraphError, match="no 'value' list"):
        list(g.pages("https://graph.example/x"))
