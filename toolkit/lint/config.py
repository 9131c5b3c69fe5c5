"""Linter configuration: `[tool.b2c-toolkit.lint]` in pyproject.toml, or a TOML file given by `--config`.

Precedence, all of it in `load_config`: defaults → pyproject.toml (found from the working
directory upwards) → `--config` file → command-line flags. Unknown keys are an error naming the key.
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from toolkit.lint.directives import matches
from toolkit.lint.discover import read_file
from toolkit.lint.problem import Severity
from toolkit.lint.registry import inventory_ids
from toolkit.lint.settings import SettingsError, load_settings

KEYS = {"select", "ignore", "severity", "per-path-ignores", "external-bases", "base-paths", "exclude", "schema", "starter-pack"}
#: what the `starter-pack` key takes (see `toolkit.lint.starter_pack`)
STARTER_PACK = ("info", "report")
SEVERITIES = {"error", "warning", "info", "off"}


class ConfigError(Exception):
    """A configuration that cannot be used (exit 2)."""


class Config:
    """What to check and how loud each rule is."""

    def __init__(
        self,
        select: list[str] | None = None,
        ignore: list[str] | None = None,
        severity: dict[str, str] | None = None,
        per_path_ignores: dict[str, list[str]] | None = None,
        external_bases: list[str] | None = None,
        base_paths: list[str] | None = None,
        exclude: list[str] | None = None,
        schema: str = "",
        settings: dict[str, str] | None = None,
        source: str = "defaults",
        starter_pack: str = "info",
    ) -> None:
        self.select = ["ALL"] if select is None else select
        self.ignore = ignore or []
        self.severity = severity or {}  #: rule id → error|warning|info|off
        self.per_path_ignores = per_path_ignores or {}  #: glob → rule ids
        self.external_bases = external_bases or []  #: PolicyIds deployed elsewhere
        #: policy files or folders deployed separately (a pinned starter pack): linked and merged
        #: into the chains of the linted files, never reported on
        self.base_paths = base_paths or []
        self.exclude = exclude or []  #: globs of files not to lint
        self.schema = schema  #: TrustFrameworkPolicy_0.3.0.0.xsd for XSD001 ("" = look for one)
        self.settings = settings  #: `{Settings:X}` values (from --settings/--environment)
        self.source = source
        #: findings on unchanged starter-pack content: "info" (once per rule and file) or "report" (each)
        self.starter_pack = starter_pack

    def enabled(self, rule: str, path: str) -> bool:
        """Whether `rule` runs, and reports on `path`."""
        if not matches(rule, self.select) or matches(rule, self.ignore) or self.severity.get(rule) == "off":
            return False
        if rule in inventory_ids() and not matches(rule, [s for s in self.select if s.upper() != "ALL"]):
            return False  # an inventory runs only when asked for by name
        return not any(fnmatch(path, glob) and matches(rule, rules) for glob, rules in self.per_path_ignores.items())

    def severity_of(self, rule: str, default: Severity) -> Severity:
        """The configured severity of `rule`, or `default`."""
        value = self.severity.get(rule)
        return default if value in (None, "off") else Severity(value)

    def excluded(self, path: str) -> bool:
        """True when a file matches an `exclude` glob."""
        return any(fnmatch(path, glob) for glob in self.exclude)


def _strings(name: str, value: Any, where: str) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {name} must be a list of strings")
    return value


def _check_rule_ids(ids: list[str], where: str, known: set[str]) -> None:
    for rule_id in ids:
        if rule_id.upper() != "ALL" and not any(k.startswith(rule_id.upper()) for k in known):
            raise ConfigError(f'{where}: no such rule: "{rule_id}"')


def from_table(
    table: dict[str, Any], where: str, base: Config | None = None, known: set[str] | None = None, keys: set[str] = KEYS
) -> Config:
    """Build a config from a `[tool.b2c-toolkit.lint]` table, over `base`. `known` (the rule ids)
    and `keys` (the options) default to the linter's; the tenant audit passes its own."""
    if known is None:
        from toolkit.lint.registry import all_rules

        known = {r.id for r in all_rules()}
    unknown = sorted(set(table) - keys)
    if unknown:
        raise ConfigError(f'{where}: unknown option "{unknown[0]}" (known: {", ".join(sorted(keys))})')
    config = Config(**dict(vars(base or Config()).items()))
    config.source = where
    for name in ("select", "ignore", "external-bases", "base-paths", "exclude"):
        if name in table:
            setattr(config, name.replace("-", "_"), _strings(name, table[name], where))
    if "schema" in table:
        if not isinstance(table["schema"], str):
            raise ConfigError(f"{where}: schema must be a path")
        config.schema = table["schema"]
    if "starter-pack" in table:
        if table["starter-pack"] not in STARTER_PACK:
            raise ConfigError(f'{where}: starter-pack must be one of {", ".join(STARTER_PACK)}, not "{table["starter-pack"]}"')
        config.starter_pack = table["starter-pack"]
    _check_rule_ids(config.select + config.ignore, where, known)
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f"{where}: severity must be a table of rule = level")
    for rule_id, level in severity.items():
        _check_rule_ids([rule_id], where, known)
        if not isinstance(level, str) or level not in SEVERITIES:
            raise ConfigError(f'{where}: severity of "{rule_id}" must be one of {", ".join(sorted(SEVERITIES))}, not "{level}"')
        config.severity = {**config.severity, rule_id.upper(): level}
    per_path = table.get("per-path-ignores", {})
    if not isinstance(per_path, dict):
        raise ConfigError(f"{where}: per-path-ignores must be a table of glob = [rules]")
    for glob, rules in per_path.items():
        ids = _strings(f"per-path-ignores.{glob}", rules, where)
        _check_rule_ids(ids, where, known)
        config.per_path_ignores = {**config.per_path_ignores, glob: ids}
    return config


def _bytes(path: Path) -> bytes:
    try:
        return read_file(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror or exc}") from None


def _read(path: Path, data: bytes | None = None) -> dict[str, Any]:
    import tomllib  # only when there is configuration to read: 9 ms of a 150 ms run

    try:
        return tomllib.loads((_bytes(path) if data is None else data).decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def _tool_table(data: dict[str, Any], section: str = "lint") -> dict[str, Any] | None:
    table: Any = data
    for name in ("tool", "b2c-toolkit", section):  # any of them may be some other TOML value
        table = table.get(name) if isinstance(table, dict) else None
    return table if isinstance(table, dict) else None


#: `tool.b2c-toolkit` as a table header, dotted key or inline table, in any TOML spelling (a
#: project's script named b2c-toolkit does not match): a pyproject.toml is parsed only then
_MAY_HAVE_TABLE = re.compile(rb"""b2c-toolkit["']?\s*(?:[.\]]|=\s*\{)""")


def load_config(
    config_file: str | None = None,
    start: Path | None = None,
    flags: dict[str, Any] | None = None,
    settings: str | None = None,
    environment: str | None = None,
    section: str = "lint",
    known: set[str] | None = None,
    keys: set[str] = KEYS,
) -> Config:
    """The configuration for a run: pyproject.toml from `start` upwards, then `config_file`, then
    the command line's `flags` (`select` and `schema` replace, the other lists extend), then the
    `{Settings:X}` values of `environment` in the appsettings.json `settings`. `section` names the
    table (`[tool.b2c-toolkit.lint]`; the tenant audit's is `audit`, with its own `known` rule
    ids and `keys`)."""
    config = Config()
    here = (start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _MAY_HAVE_TABLE.search(text := _bytes(pyproject)):
            table = _tool_table(_read(pyproject, text), section)
            if table is not None:
                config = from_table(table, str(pyproject), config, known, keys)
                break
    if config_file:
        path = Path(config_file)
        data = _read(path)
        table = _tool_table(data, section)
        config = from_table(data if table is None else table, str(path), config, known, keys)
    given = {name: value for name, value in (flags or {}).items() if value}
    for name in ("ignore", "external-bases", "base-paths"):
        if name in given:
            given[name] = getattr(config, name.replace("-", "_")) + _strings(name, given[name], "command line")
    if given:
        config = from_table(given, "command line", config, known, keys)
    if settings:
        try:
            config.settings = load_settings(settings, environment)
        except SettingsError as exc:
            raise ConfigError(str(exc)) from None
    elif environment:
        raise ConfigError("--environment needs --settings")
    return config


def default_cache_folder() -> Path:
    """Where the cache keeps its entries unless `--cache-dir` says otherwise (see `toolkit.lint.cache`)."""
    if os.environ.get("B2C_TOOLKIT_CACHE_DIR"):
        return Path(os.environ["B2C_TOOLKIT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "b2c-toolkit", "lint")
