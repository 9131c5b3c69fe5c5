"""Configuration: pyproject.toml discovery, --config files, strict validation."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.lint.policies import ADVISORY, clean_set, rule_ids, run
from tests.support import toml_value
from toolkit.cli import main
from toolkit.lint import ConfigError, load_config
from toolkit.lint.config import KEYS
from toolkit.lint.problem import Severity


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_pyproject_table_found_from_parent(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.b2c-toolkit.lint]\nignore = ["SSO"]\n[tool.b2c-toolkit.lint.severity]\nREST001 = "error"\n')
    (tmp_path / "sub").mkdir()
    config = load_config(start=tmp_path / "sub")
    assert config.ignore == ["SSO"]
    assert not config.enabled("SSO002", "x.xml")
    assert config.severity_of("REST001", Severity.WARNING) is Severity.ERROR


@pytest.mark.parametrize(
    "toml",
    [
        '[tool."b2c-toolkit".lint]\nignore = ["SSO"]\n',
        '[tool.b2c-toolkit]\nlint.ignore = ["SSO"]\n',
        '[tool]\nb2c-toolkit.lint = { ignore = ["SSO"] }\n',
        'tool.b2c-toolkit.lint.ignore = ["SSO"]\n',
        'tool = { b2c-toolkit = { lint = { ignore = ["SSO"] } } }\n',
    ],
)
def test_every_toml_spelling_of_the_table_is_read(tmp_path, toml):
    # TOML is parsed only when the file may hold the table (start-up time): no spelling is missed
    write(tmp_path / "pyproject.toml", toml + '\n[project.scripts]\nb2c-toolkit = "x:main"\n')
    assert load_config(start=tmp_path).ignore == ["SSO"]


def test_config_file_with_top_level_keys_overrides_pyproject(tmp_path):
    write(tmp_path / "pyproject.toml", '[tool.b2c-toolkit.lint]\nselect = ["REST"]\n')
    extra = write(tmp_path / "b2c.toml", 'select = ["DEP"]\nexternal-bases = ["B2C_1A_Base"]\n')
    config = load_config(str(extra), start=tmp_path)
    assert (config.select, config.external_bases) == (["DEP"], ["B2C_1A_Base"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("selekt = []", 'unknown option "selekt"'),
        ('select = ["NOPE1"]', 'no such rule: "NOPE1"'),
        ('[severity]\nREST001 = "loud"', 'severity of "REST001"'),
        ("[severity]\nREST001 = []", 'severity of "REST001"'),
        ("select = 3", "select must be a list"),
        ("select = [", "invalid TOML"),
        ("tool = { b2c-toolkit = 5 }", 'unknown option "tool"'),  # not our table: the file is read as one
    ],
)
def test_invalid_config(tmp_path, text, message):
    path = write(tmp_path / "c.toml", text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(path), start=tmp_path)


def test_per_path_ignores_and_severity_off(tmp_path):
    path = write(
        tmp_path / "c.toml",
        f'ignore = {ADVISORY}\n[per-path-ignores]\n"*Extensions.xml" = ["DEP001"]\n[severity]\nINH004 = "off"\n'.replace("'", '"'),
    )
    config = load_config(str(path), start=tmp_path)
    files = clean_set(ext_attrs='DeploymentMode="Development"', rp_attrs='DeploymentMode="Development"')
    assert [p.path.rsplit("/", 1)[-1] for p in run(tmp_path / "p", files, config).problems] == ["SignUpOrSignin.xml"]
    assert not config.enabled("INH004", "any.xml")


def test_severity_override_applies(tmp_path):
    path = write(tmp_path / "c.toml", f'ignore = {ADVISORY}\n[severity]\nDEP001 = "info"\n'.replace("'", '"'))
    report = run(tmp_path / "p", clean_set(ext_attrs='DeploymentMode="Development"'), load_config(str(path), start=tmp_path))
    assert [(p.rule, p.severity) for p in report.problems] == [("DEP001", Severity.INFO)]
    assert rule_ids(report) == {"DEP001"}


VALUES = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=8) | st.sampled_from(["REST001", "SSO", "ALL", "error", "off", "*.xml", ""]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["REST001", "*.xml", "x"]) | st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
TABLES = st.dictionaries(st.sampled_from(sorted(KEYS)) | st.text(max_size=6), VALUES, max_size=4)


@given(
    tool=TABLES.map(lambda t: {"b2c-toolkit": {"lint": t}}) | VALUES.map(lambda v: {"b2c-toolkit": v}) | VALUES,
    whole_file=TABLES,
)
def test_any_configuration_loads_or_is_refused_with_a_message(tool, whole_file):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write(folder / "pyproject.toml", f"tool = {toml_value(tool)}\n")
        write(folder / "lint.toml", "\n".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in whole_file.items()))
        for config_file in (None, str(folder / "lint.toml")):
            try:
                config = load_config(config_file, start=folder)
            except ConfigError as exc:
                assert str(exc).startswith(str(folder)), exc  # names the file
            else:
                assert all(r.isupper() or r == "ALL" for r in config.severity)


def test_a_pyproject_that_cannot_be_read_is_a_usage_error(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_bytes(b"#" * (17 * 1024 * 1024))  # over the 16 MB any file may be
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "--no-cache", "."]) == 2
    assert "pyproject.toml: cannot read config: file is over" in capsys.readouterr().err
