"""Render deploy-time settings into the policies, the way the tool that deploys them does, so the
linter sees what will be uploaded; and parse what is still a template tolerantly.

Two kinds of settings file are read:

- the B2C VS Code extension's `appsettings.json`, whose tokens are `{Settings:X}`:

    {"Environments": [{"Name": "Production", "Production": true, "Tenant": "contoso.onmicrosoft.com",
                       "PolicySettings": {"IdentityExperienceFrameworkAppId": "…"}}]}

  `{Settings:Tenant}` takes the environment's `Tenant`, `{Settings:Name}` a `PolicySettings` entry;
- the IefPolicies PowerShell module's `conf.json` (one environment per file: `conf.demo.json`,
  chosen with `Import-IefPolicies -configurationFilePath`), whose tokens are `{X}` for each string
  property, nested objects giving `{Parent:Child}`:

    {"Prefix": "V1", "RESTBase": "https://api.contoso.com", "Clients": {"Work": "…"}}

  `{tenantId}`, `{ExtAppId}` and `{ExtObjectId}` are filled by IefPolicies from the tenant it is
  connected to, never from the file, and stay as they are; so does `Prefix`'s injection into
  every PolicyId (the same for every file uploaded together, it changes no link), and so does
  `secrets.json` (never read: its values would end up in the linter's output).

Values replace text in the raw file as those tools do (not escaped: a setting may be a whole
attribute, `{Settings:DeploymentMode}` rendering `DeploymentMode="Development"`), on the same
line, so reported line numbers stay those of the source. Placeholders with no value (or an empty
one: the pipeline fills it; or one that is itself a note in angle brackets, `<msa app id>`, that
would make the file malformed) are left alone and reported by SET001.

The settings are those given (`--settings`), or else the nearest `appsettings.json`, and the
nearest `conf.json`, found beside a file or in a folder above it, up to the folder linted: the
appsettings' production environment when it has several. An environment whose `Production` is
false, or named for development or test (`conf.dev.json`), makes the files it renders
development files (the DEP and UI rules expect development settings there).

A file that still does not parse is tried once more with each template token written where XML
allows no text (a whole attribute `{Settings:Mode}`, an unquoted value `TenantId={{TenantId}}`, a
header before the XML declaration) replaced by a stand-in on the same line: blanks, or the token
quoted. Every rule then runs on it.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Callable
from pathlib import Path

from lxml import etree

from toolkit.lint.discover import read_file

_SETTING = re.compile(rb"\{Settings:([A-Za-z0-9_.-]+)\}")
#: an IefPolicies token: any property name, nested ones joined by `:` (only known names are replaced)
_CONF_TOKEN = re.compile(rb"\{([^{}\r\n]{1,200})\}")

#: how a settings file is written: the VS Code extension's appsettings.json, or an IefPolicies conf.json
APPSETTINGS, IEFPOLICIES = "appsettings", "iefpolicies"
#: tokens IefPolicies fills from the tenant it is connected to (matched ignoring case), never from conf.json
IEF_FROM_TENANT = frozenset({"tenantid", "extappid", "extobjectid"})

#: environment names of development and test tenants (an environment says so, or its name does)
DEVELOPMENT_NAMES = frozenset({"dev", "development", "develop", "local", "test", "testing", "sandbox"})


class SettingsError(Exception):
    """Settings that cannot be used (exit 2)."""


class Values(dict[str, str]):
    """One environment's values, and what the environment says of itself."""

    def __init__(
        self, values: dict[str, str], source: str = "", environment: str = "", development: bool = False, style: str = APPSETTINGS
    ) -> None:
        super().__init__(values)
        self.source = source  #: the settings file
        self.environment = environment  #: the environment's Name (an IefPolicies file's: `conf.NAME.json`)
        self.development = development  #: not production: Production false, or named Development/Test
        self.style = style  #: APPSETTINGS (`{Settings:X}` tokens) or IEFPOLICIES (`{X}` tokens)

    @property
    def note(self) -> str:
        """What the run says it rendered, and from where."""
        if self.style == IEFPOLICIES:
            return f"{{X}} rendered from {self.source} (IefPolicies" + (f", environment {self.environment!r})" if self.environment else ")")
        return f"{{Settings:X}} rendered from {self.source} (environment {self.environment!r})"


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


#: byte order marks a settings file may start with (PowerShell writes UTF-16 LE with one), longest first
_JSON_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF8, "utf-8"),
)


def _text(data: bytes) -> str:
    """A settings file's text: UTF-8, or whatever its byte order mark says (as PowerShell reads it)."""
    for bom, codec in _JSON_BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec)
    return data.decode("utf-8")


def load_settings(path: str | Path, environment: str | None, pick: bool = False) -> Values:
    """The values of one environment of an appsettings.json (with `pick`, the production one
    when there are several and none is named: settings found rather than given), or of an
    IefPolicies conf.json (any other JSON object without "Environments": one environment)."""
    try:
        data = json.loads(_text(read_file(Path(path))))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read settings: {exc.strerror or exc}") from None
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; nesting too deep for json
        raise SettingsError(f"{path}: not JSON: {exc}") from None
    if isinstance(data, dict) and "Environments" not in data and not Path(path).name.casefold().startswith("appsettings"):
        return _conf_values(path, data, environment)
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


def _conf_values(path: str | Path, data: dict[str, object], environment: str | None) -> Values:
    """An IefPolicies conf.json: every string property, nested objects' as `Parent:Child` (as its
    Format-Config flattens them; numbers, booleans and lists are no values there either)."""
    if environment is not None:
        raise SettingsError(
            f"{path}: an IefPolicies settings file holds one environment; pass that environment's own file (conf.NAME.json)"
        )
    values: dict[str, str] = {}

    def flatten(prefix: str, obj: dict[str, object]) -> None:
        for name, value in obj.items():
            full = f"{prefix}:{name}" if prefix else name
            if isinstance(value, str):
                if full.casefold() not in IEF_FROM_TENANT:
                    values[full] = value
            elif isinstance(value, dict):
                flatten(full, value)

    flatten("", data)
    # conf.json is the default environment; conf.demo.json (or a tenant-named demo.json) names one
    stem = Path(path).name[: -len(".json")] if Path(path).name.casefold().endswith(".json") else Path(path).name
    name = stem.split(".", 1)[1] if stem.casefold().startswith("conf.") else "" if stem.casefold() == "conf" else stem
    return Values(values, str(path), name, name.strip().casefold() in DEVELOPMENT_NAMES, IEFPOLICIES)


def _is_note(value: str) -> bool:
    """A value that is itself a note in angle brackets (`<msa app id>`, `<REST API url`): rendered
    raw it would make the file malformed, so it is no value. Markup (`<Item Key="a">b</Item>`) is one."""
    if not value.lstrip().startswith("<"):
        return False
    try:
        etree.fromstring(b"<v>" + value.encode() + b"</v>", _FRAGMENT)
    except etree.XMLSyntaxError:
        return True
    return False


_FRAGMENT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class Renderer:
    """Renders the placeholders of a file's bytes, raw, on the same line: `{Settings:X}` from an
    appsettings.json environment, `{X}` from an IefPolicies conf.json (see the module's doc)."""

    def __init__(self, values: dict[str, str], *more: dict[str, str]) -> None:
        self.values = values
        #: every settings file rendered (an appsettings.json and a conf.json may both apply)
        self.sources = [values, *more]
        #: an environment is not production (see `Values.development`)
        self.development = any(bool(getattr(v, "development", False)) for v in self.sources)
        self._tables: list[tuple[str, dict[str, str], dict[str, bytes]]] = []
        for v in self.sources:
            encoded = {k: x.replace("\r\n", " ").replace("\n", " ").encode() for k, x in v.items() if x.strip() and not _is_note(x)}
            self._tables.append((getattr(v, "style", APPSETTINGS), v, encoded))

    def __call__(self, data: bytes) -> bytes:
        return self.render(data)[0]

    def render(self, data: bytes) -> tuple[bytes, dict[int, list[tuple[str, str]]]]:
        """The rendered bytes, and per line (1-based) the settings rendered on it: the token as
        written (`{Settings:X}`, `{X}`) and its value."""
        lines: dict[int, list[tuple[str, str]]] = {}
        for style, values, encoded in self._tables:
            if style == IEFPOLICIES:
                if encoded and b"{" in data:
                    data = _substitute(_CONF_TOKEN, data, values, encoded, lines)
            elif b"{Settings:" in data:
                data = _substitute(_SETTING, data, values, encoded, lines)
        return data, lines


def _substitute(
    pattern: re.Pattern[bytes], data: bytes, values: dict[str, str], encoded: dict[str, bytes], lines: dict[int, list[tuple[str, str]]]
) -> bytes:
    """`data` with each token of `pattern` whose name (its group 1) has a value replaced by it,
    exact names only (as String.Replace matches), and the tokens rendered recorded by line."""
    counted = [0, 1]  # offset counted to, line there

    def one(m: re.Match[bytes]) -> bytes:
        name = m.group(1).decode("utf-8", "replace")
        value = encoded.get(name)
        if value is None:
            return m.group(0)
        counted[1] += data.count(b"\n", counted[0], m.start())
        counted[0] = m.start()
        lines.setdefault(counted[1], []).append((m.group(0).decode("utf-8", "replace"), values[name]))
        return value

    return pattern.sub(one, data)


def renderer(values: dict[str, str]) -> Renderer:
    """A function that renders the placeholders in a file's bytes (raw, same line)."""
    return Renderer(values)


SETTINGS_FILE = "appsettings.json"
#: IefPolicies' default settings file; `conf.NAME.json` is chosen with --settings, as with its -configurationFilePath
CONF_FILE = "conf.json"


def finder(given: dict[str, str] | None, roots: list[str]) -> Callable[[Path], Renderer | None]:
    """Which settings render a file: those given, else the `appsettings.json` nearest the file
    and the `conf.json` nearest it, each in its folder or one above it up to the linted folder
    (`roots`) holding it. A settings file that cannot be used is left alone (the placeholders
    stay, SET001 says so)."""
    if given is not None:
        one = Renderer(given)
        return lambda path: one
    tops = [os.path.abspath(r) for r in roots]
    by_folder: dict[tuple[str, str], Values | None] = {}

    def find(folder: str, top: str, name: str) -> Values | None:
        if (folder, name) not in by_folder:
            candidate = os.path.join(folder, name)
            found: Values | None = None
            if os.path.isfile(candidate):
                try:
                    found = load_settings(candidate, None, pick=True)
                except SettingsError:
                    found = None
            if found is None and folder != top and (parent := os.path.dirname(folder)) != folder:
                found = find(parent, top, name)
            by_folder[folder, name] = found
        return by_folder[folder, name]

    per_folder: dict[str, Renderer | None] = {}
    made: dict[tuple[int, ...], Renderer] = {}  # one renderer per pair of files found: folders share it

    def for_path(path: Path) -> Renderer | None:
        written = os.path.dirname(path)
        if written not in per_folder:
            folder = os.path.abspath(written or ".")
            top = max((t for t in tops if folder == t or folder.startswith(t.rstrip(os.sep) + os.sep)), key=len, default=folder)
            found = [v for v in (find(folder, top, SETTINGS_FILE), find(folder, top, CONF_FILE)) if v is not None]
            ids = tuple(id(v) for v in found)
            if found and ids not in made:
                made[ids] = Renderer(*found)
            per_folder[written] = made[ids] if found else None
        return per_folder[written]

    return for_path


def found_settings(render_for: Callable[[Path], Renderer | None], paths: list[Path]) -> list[Values]:
    """The settings files found for `paths` (to key a cache and to say which were used)."""
    seen: dict[str, Values] = {}
    for path in paths:
        r = render_for(path)
        for values in r.sources if r is not None else ():
            if isinstance(values, Values) and values.source:
                seen.setdefault(values.source, values)
    return list(seen.values())


# ---- template tokens where XML allows no text ---------------------------------------------------

#: the deploy-time tokens a pipeline replaces: the VS Code extension's, replace-tokens' and Jinja's
TOKEN = rb"\{Settings:[^{}<>\"'\s]+\}|#\{[\w.-]+\}#|__[A-Za-z][\w.]{0,80}?__|\$\([\w.-]+\)|\{\{\s*[\w.-]+\s*\}\}"
_TOKEN = re.compile(TOKEN)
#: a start tag (its quoted values kept whole: no `>` inside one ends it)
_TAG = re.compile(rb"<[A-Za-z_][^\s/>\"']*(?:[^\"'>]|\"[^\"]*\"|'[^']*')*>")
#: in a tag: a quoted value (left alone) or a token, and whether `=` comes before it
_IN_TAG = re.compile(rb"\"[^\"]*\"|'[^']*'|(?P<eq>=\s*)?(?P<token>" + TOKEN + rb")")


#: what may stand before the root element of a template: a byte order mark, blanks, a comment,
#: a processing instruction (the XML declaration among them), a token (SET001 reports each)
_PROLOG_PART = re.compile(
    rb"(?P<bom>\xef\xbb\xbf)|\s+|<!--.*?-->|(?P<pi><\?.*?\?>)|(?P<token>" + TOKEN + rb"|@[A-Za-z_][\w.-]{0,80}@)", re.DOTALL
)
_NOT_NEWLINE = re.compile(rb"[^\n]")


def _blank(part: bytes) -> bytes:
    """Blanks the length of `part`, its line ends kept."""
    return _NOT_NEWLINE.sub(b" ", part)


def prolog_stand_ins(data: bytes) -> tuple[bytes, int]:
    """A template header before the root element (`#{Header}#` above `<?xml ...?>`, a header
    that renders later) blanked on its lines, with the byte order marks and the XML declaration
    that XML then finds out of place; and the number of tokens. Without a token there is nothing
    to render: blanks or a second byte order mark before the declaration stay (XML001)."""
    parts: list[tuple[int, int]] = []  # spans to blank
    count = 0
    declaration: tuple[int, int] | None = None
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0  # the one mark XML allows
    start = pos
    while (m := _PROLOG_PART.match(data, pos)) is not None and m.end() > pos:
        if m.group("token") is not None:
            count += 1
            parts.append(m.span())
        elif m.group("bom") is not None:
            parts.append(m.span())
        elif (pi := m.group("pi")) is not None and pi[:5] == b"<?xml" and pi[5:6].isspace() and m.start() != start:
            declaration = m.span()
        pos = m.end()
    if not count:
        return data, 0
    if declaration is not None:
        parts.append(declaration)
    out = bytearray(data)
    for begin, end in parts:
        out[begin:end] = _blank(data[begin:end])
    return bytes(out), count


def stand_ins(data: bytes) -> tuple[bytes, int]:
    """`data` with every template token written where XML allows no text replaced on the same
    line: inside a tag but outside a quoted value, a whole attribute by blanks and an unquoted
    value by the token quoted; before the root element, by blanks (see `prolog_stand_ins`); and
    the number replaced. Tokens in text and in quoted values parse as they are and stay (SET001)."""
    data, count = prolog_stand_ins(data)
    if not _TOKEN.search(data):
        return data, count

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
