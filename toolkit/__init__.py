"""Azure AD B2C / CIAM resilience toolkit: policy linter, local B2C emulator, reference app, drills."""

__version__ = "0.1.0"
