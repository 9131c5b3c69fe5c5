"""The audit's rule catalog, one module per family; importing this package registers every rule."""

from toolkit.tenant.rules import apps, drift, emergency, entra, extensions, keys

__all__ = ["apps", "drift", "emergency", "entra", "extensions", "keys"]
