"""A local Azure AD B2C (or, with `--flavor external-id`, a Microsoft Entra External ID tenant):
OpenID Connect over HTTPS with its URL layout, sign-in pages, test users, app-only tokens for
daemons, and fault injection. Unmodified msal accepts it.

`toolkit.emulator.app.create_app` builds it; `b2c-toolkit emulator` serves it. This module stays
empty so that importing the CLI does not import Flask.
"""
