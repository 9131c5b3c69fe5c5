"""Locust load tests for B2C sign-in flows: personas, a scenario-driven shape, and a collector of
per-operation outcomes that the drill turns into a scorecard. Entry point: `locustfile.py`."""
