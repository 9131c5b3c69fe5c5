"""The audit's rule catalog, one module per family; importing this package registers every rule."""

from toolkit.tenant.rules import apps, drift, entra, extensions, keys

__all__ = ["apps", "drift", "entra", "extensions", "keys"]
