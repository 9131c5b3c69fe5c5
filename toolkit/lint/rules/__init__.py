"""The rule catalog, one module per family; importing this package registers every rule."""

from toolkit.lint.rules import (
    deployment,
    directory,
    idp,
    inheritance,
    journeys,
    limits,
    mfa,
    references,
    rest,
    schema,
    sessions,
    tokens,
    ui,
    values,
)

__all__ = [
    "deployment",
    "directory",
    "idp",
    "inheritance",
    "journeys",
    "limits",
    "mfa",
    "references",
    "rest",
    "schema",
    "sessions",
    "tokens",
    "ui",
    "values",
]
