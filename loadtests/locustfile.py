"""Entry point: the personas, the scenario shape and the outcome collector.

    locust -f loadtests/locustfile.py --headless --drill-plan out/plan.json

`b2c-toolkit drill` writes the plan (scenario, app profile, IdP) and runs exactly this, with the
emulator and the app started for you.
"""

import locust  # noqa: F401  (first: gevent's monkey patching must come before anything else)

from loadtests import collect, config  # noqa: F401  (register their event listeners)
from loadtests.personas import Anonymous, ApiCaller, Daemon, NewSignIn, SignedIn  # noqa: F401
from loadtests.shape import ScenarioShape  # noqa: F401
