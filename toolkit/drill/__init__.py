"""`b2c-toolkit drill`: emulator + reference app + Locust, a fault timeline, and a scorecard."""
