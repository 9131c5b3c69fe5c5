"""Unit tests of the load tests run inside pytest: Locust is imported without gevent's monkey
patching (which must come before everything else and would change the whole test process). The
variable is removed at once so that Locust processes the drill tests start patch as usual."""

import os

os.environ["LOCUST_SKIP_MONKEY_PATCH"] = "1"
try:
    import locust  # noqa: F401
finally:
    del os.environ["LOCUST_SKIP_MONKEY_PATCH"]
