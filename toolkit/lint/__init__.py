"""Lint Azure AD B2C custom policies for resilience anti-patterns, on the merged inheritance chain."""

from toolkit.lint.config import Config, ConfigError, load_config
from toolkit.lint.linter import lint
from toolkit.lint.problem import Problem, Severity
from toolkit.lint.report import Report

__all__ = ["Config", "ConfigError", "Problem", "Report", "Severity", "lint", "load_config"]
