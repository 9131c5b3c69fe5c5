"""The rule catalog, one module per family; importing this package registers every rule."""

from toolkit.lint.rules import deployment, directory, inheritance, journeys, rest, sessions, tokens

__all__ = ["deployment", "directory", "inheritance", "journeys", "rest", "sessions", "tokens"]
