"""The rule catalog, one module per family; importing this package registers every rule."""

from toolkit.lint.rules import deployment, directory, inheritance, journeys, rest, schema, sessions, tokens

__all__ = ["deployment", "directory", "inheritance", "journeys", "rest", "schema", "sessions", "tokens"]
