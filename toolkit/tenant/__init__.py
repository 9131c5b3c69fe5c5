"""The tenant audit: read a tenant through Microsoft Graph (`export`), then check what was read
(`audit`) with rules in the linter's style, its findings, configuration, baseline and formats."""
