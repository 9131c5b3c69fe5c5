"""Render `{Settings:X}` placeholders from an `appsettings.json`, the way the B2C VS Code extension
and deploy pipelines do, so the linter sees what will be uploaded; and parse what is still a
template tolerantly.

    {"Environments": [{"Name": "Production", "Production": true, "Tenant": "contoso.onmicrosoft.com",
                       "PolicySettings": {"IdentityExperienceFrameworkAppId": "…"}}]}

`{Settings:Tenant}` takes the environment's `Tenant`, `{Settings:Name}` a `PolicySettings` entry.
Values replace text in the raw file as the extension does (not escaped: a setting may be a whole
attribute, `{Settings:DeploymentMode}` rendering `DeploymentMode="Development"`), on the same
line, so reported line numbers stay those of the source. Placeholders with no value (or an empty
one: the pipeline fills it) are left alone and reported by SET001.

The settings are those given (`--settings`), or else the `appsettings.json` found beside a file
or in a folder above it, up to the folder linted: its production environment when it has several.
An environment whose `Production` is false, or named for development or test, makes the files it
renders development files (the DEP and UI rules expect development settings there).

A file that still does not parse is tried once more with each template token written where XML
allows no text (a whole attribute `{Settings:Mode}`, an unquoted value `TenantId={{TenantId}}`)
replaced by a stand-in on the same line: blanks, or the token quoted. Every rule then runs on it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from toolkit.lint.discover import read_file

_SETTING = re.compile(rb"\{Settings:([A-Za-z0-9_.-]+)\}")

#: environment names of development and test tenants (an environment says so, or its name does)
DEVELOPMENT_NAMES = frozenset({"dev", "development", "develop", "local", "test", "testing", "sandbox"})


class SettingsError(Exception):
    """Settings that cannot be used (exit 2)."""


class Values(dict[str, str]):
    """One environment's values, and what the environment says of itself."""

    def __init__(self, values: dict[str, str], source: str = "", environment: str = "", development: bool = False) -> None:
        super().__init__(values)
        self.source = source  #: the settings file
        self.environment = environment  #: the environment's Name
        self.development = development  #: not production: Production false, or named Development/Test


def _is_development(env: dict[str, object]) -> bool:
    production = env.get("Production")
    if isinstance(production, str):
        production = {"true": True, "false": False}.get(production.strip().casefold())
    if isinstance(production, bool):
        return not production
    return str(env.get("Name", "")).strip().casefold() in DEVELOPMENT_NAMES


def _is_production(env: dict[str, object]) -> bool:
    production = env.get("Production")
    if isinstance(production, str):
        return production.strip().casefold() == "true"
    if isinstance(production, bool):
        return production
    return str(env.get("Name", "")).strip().casefold() in ("production", "prod")


def load_settings(path: str | Path, environment: str | None, pick: bool = False) -> Values:
    """The values of one environment of an appsettings.json (with `pick`, the production one
    when there are several and none is named: settings found rather than given)."""
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
        if len(names) > 1 and not pick:
            raise SettingsError(f"{path}: several environments ({', '.join(names)}); choose one with --environment")
        chosen = next((e for e in environments if _is_production(e)), environments[0])
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
    return Values(values, str(path), str(chosen.get("Name", "")), _is_development(chosen))


class Renderer:
    """Renders the `{Settings:X}` placeholders of a file's bytes, raw, on the same line."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        #: the environment is not production (see `Values.development`)
        self.development = bool(getattr(values, "development", False))
        self._encoded = {k: v.replace("\r\n", " ").replace("\n", " ").encode() for k, v in values.items() if v.strip()}

    def __call__(self, data: bytes) -> bytes:
        return self.render(data)[0]

    def render(self, data: bytes) -> tuple[bytes, dict[int, list[tuple[str, str]]]]:
        """The rendered bytes, and per line (1-based) the settings rendered on it (name, value)."""
        if b"{Settings:" not in data:
            return data, {}
        lines: dict[int, list[tuple[str, str]]] = {}
        counted = [0, 1]  # offset counted to, line there

        def one(m: re.Match[bytes]) -> bytes:
            name = m.group(1).decode()
            value = self._encoded.get(name)
            if value is None:
                return m.group(0)
            counted[1] += data.count(b"\n", counted[0], m.start())
            counted[0] = m.start()
            lines.setdefault(counted[1], []).append((name, self.values[name]))
            return value

        return _SETTING.sub(one, data), lines


def renderer(values: dict[str, str]) -> Renderer:
    """A function that renders the placeholders in a file's bytes (raw, same line)."""
    return Renderer(values)


SETTINGS_FILE = "appsettings.json"


def finder(given: dict[str, str] | None, roots: list[str]) -> Callable[[Path], Renderer | None]:
    """Which settings render a file: those given, else the `appsettings.json` nearest the file,
    in its folder or one above it up to the linted folder (`roots`) holding it. A settings file
    that cannot be used is left alone (the placeholders stay, SET001 says so)."""
    if given is not None:
        one = Renderer(given)
        return lambda path: one
    tops = [os.path.abspath(r) for r in roots]
    by_folder: dict[str, Renderer | None] = {}

    def find(folder: str, top: str) -> Renderer | None:
        if folder not in by_folder:
            candidate = os.path.join(folder, SETTINGS_FILE)
            found: Renderer | None = None
            if os.path.isfile(candidate):
                try:
                    found = Renderer(load_settings(candidate, None, pick=True))
                except SettingsError:
                    found = None
            if found is None and folder != top and (parent := os.path.dirname(folder)) != folder:
                found = find(parent, top)
            by_folder[folder] = found
        return by_folder[folder]

    per_folder: dict[str, Renderer | None] = {}

    def for_path(path: Path) -> Renderer | None:
        written = os.path.dirname(path)
        if written not in per_folder:
            folder = os.path.abspath(written or ".")
            top = max((t for t in tops if folder == t or folder.startswith(t.rstrip(os.sep) + os.sep)), key=len, default=folder)
            per_folder[written] = find(folder, top)
        return per_folder[written]

    return for_path


def found_settings(render_for: Callable[[Path], Renderer | None], paths: list[Path]) -> list[Values]:
    """The settings files found for `paths` (to key a cache and to say which were used)."""
    seen: dict[str, Values] = {}
    for path in paths:
        r = render_for(path)
        if r is not None and isinstance(r.values, Values) and r.values.source:
            seen.setdefault(r.values.source, r.values)
    return list(seen.values())


# ---- template tokens where XML allows no text ---------------------------------------------------

#: the deploy-time tokens a pipeline replaces: the VS Code extension's, replace-tokens' and Jinja's
TOKEN = rb"\{Settings:[^{}<>\"'\s]+\}|#\{[\w.-]+\}#|__[A-Za-z][\w.]{0,80}?__|\$\([\w.-]+\)|\{\{\s*[\w.-]+\s*\}\}"
_TOKEN = re.compile(TOKEN)
#: a start tag (its quoted values kept whole: no `>` inside one ends it)
_TAG = re.compile(rb"<[A-Za-z_][^\s/>\"']*(?:[^\"'>]|\"[^\"]*\"|'[^']*')*>")
#: in a tag: a quoted value (left alone) or a token, and whether `=` comes before it
_IN_TAG = re.compile(rb"\"[^\"]*\"|'[^']*'|(?P<eq>=\s*)?(?P<token>" + TOKEN + rb")")


def stand_ins(data: bytes) -> tuple[bytes, int]:
    """`data` with every template token written inside a tag but outside a quoted value replaced
    on the same line: a whole attribute by blanks, an unquoted value by the token quoted; and the
    number replaced. Tokens in text and in quoted values parse as they are and stay (SET001)."""
    if not _TOKEN.search(data):
        return data, 0
    count = 0

    def tag(m: re.Match[bytes]) -> bytes:
        nonlocal count

        def inner(t: re.Match[bytes]) -> bytes:
            nonlocal count
            token = t.group("token")
            if token is None:
                return t.group(0)
            count += 1
            if t.group("eq") is not None:
                return t.group("eq") + b'"' + token + b'"'
            return b" " * len(token)

        return _IN_TAG.sub(inner, m.group(0))

    out = _TAG.sub(tag, data)
    return out, count
