"""Entry point: the personas, the scenario shape and the outcome collector.

    locust -f loadtests/locustfile.py --headless --host https://127.0.0.1:8000 \
        --b2c-config b2c.json --scenario idp-outage --drill-out out/

`b2c-toolkit drill` runs exactly this, with the emulator and the app started for you.
"""

import locust  # noqa: F401  (first: gevent's monkey patching must come before anything else)

from loadtests import collect, config  # noqa: F401  (register their event listeners)
from loadtests.personas import Anonymous, ApiCaller, Daemon, NewSignIn, SignedIn  # noqa: F401
from loadtests.shape import ScenarioShape  # noqa: F401
