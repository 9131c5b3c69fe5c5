"""Render `{Settings:X}` placeholders from an `appsettings.json`, the way the B2C VS Code extension
and deploy pipelines do, so the linter sees what will be uploaded.

    {"Environments": [{"Name": "Production", "Tenant": "contoso.onmicrosoft.com",
                       "PolicySettings": {"IdentityExperienceFrameworkAppId": "…"}}]}

`{Settings:Tenant}` takes the environment's `Tenant`, `{Settings:Name}` a `PolicySettings` entry.
Values replace text in the raw file, on the same line, so reported line numbers stay those of
the source. Placeholders with no value are left alone (and reported by SET001).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from toolkit.lint.discover import read_file
from toolkit.lint.escape import xml_escape

_SETTING = re.compile(rb"\{Settings:([A-Za-z0-9_.-]+)\}")


class SettingsError(Exception):
    """Settings that cannot be used (exit 2)."""


def load_settings(path: str | Path, environment: str | None) -> dict[str, str]:
    """The values of one environment of an appsettings.json."""
    try:
        data = json.loads(read_file(Path(path)).decode("utf-8-sig"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read settings: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise SettingsError(f"{path}: not JSON: {exc}") from None
    environments = data.get("Environments") if isinstance(data, dict) else None
    if not isinstance(environments, list) or not environments:
        raise SettingsError(f'{path}: no "Environments" list')
    if not all(isinstance(e, dict) for e in environments):
        raise SettingsError(f'{path}: every entry of "Environments" must be an object')
    names = [str(e.get("Name", "")) for e in environments]
    if environment is None:
        if len(names) > 1:
            raise SettingsError(f"{path}: several environments ({', '.join(names)}); choose one with --environment")
        chosen = environments[0]
    else:
        matches = [e for e in environments if e.get("Name") == environment]
        if not matches:
            raise SettingsError(f"{path}: no environment {environment!r} (known: {', '.join(names)})")
        chosen = matches[0]
    settings = chosen.get("PolicySettings") or {}
    if not isinstance(settings, dict):
        raise SettingsError(f'{path}: "PolicySettings" must be an object of name: value')
    values = {k: str(v) for k, v in settings.items()}
    if "Tenant" in chosen:
        values["Tenant"] = str(chosen["Tenant"])
    return values


def renderer(values: dict[str, str]) -> Callable[[bytes], bytes]:
    """A function that renders the placeholders in a file's bytes (XML-escaped, same line)."""
    encoded = {k: xml_escape(v).replace("\n", " ").encode() for k, v in values.items()}

    def render(data: bytes) -> bytes:
        return _SETTING.sub(lambda m: encoded.get(m.group(1).decode(), m.group(0)), data)

    return render
