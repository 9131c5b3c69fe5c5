"""Settings files (`--settings appsettings.json --environment NAME`): any JSON loads or is refused
with a message naming the file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toolkit.lint.settings import SettingsError, load_settings, renderer

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["Name", "Tenant", "PolicySettings", "x"]), inner, max_size=3)
    ),
    max_leaves=10,
)
ENVIRONMENTS = st.dictionaries(st.just("Environments") | st.text(max_size=5), JSON | st.lists(JSON, max_size=3), max_size=2)


def _load(text: str, environment: str | None) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "appsettings.json")
        path.write_text(text, encoding="utf-8")
        try:
            return load_settings(path, environment)
        except SettingsError as exc:
            assert str(exc).startswith(str(path)), exc
            raise


def test_an_environment_renders_its_values():
    text = json.dumps({"Environments": [{"Name": "Test", "Tenant": "t.onmicrosoft.com", "PolicySettings": {"AppId": "a<b"}}]})
    values = _load(text, "Test")
    assert values == {"Tenant": "t.onmicrosoft.com", "AppId": "a<b"}
    assert renderer(values)(b"<X>{Settings:AppId}</X>{Settings:Tenant}{Settings:Nope}") == b"<X>a&lt;b</X>t.onmicrosoft.com{Settings:Nope}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"Environments": [1]}, "every entry"),
        ({"Environments": [{"Name": "Test", "PolicySettings": ["x"]}]}, "PolicySettings"),
        ({"Environments": []}, 'no "Environments"'),
    ],
)
def test_malformed_settings_are_refused(data, message):
    with pytest.raises(SettingsError, match=message):
        _load(json.dumps(data), None)


@given(ENVIRONMENTS, st.none() | st.sampled_from(["Test", ""]))
def test_any_json_loads_or_is_refused_with_a_message(data, environment):
    try:
        values = _load(json.dumps(data), environment)
    except SettingsError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
