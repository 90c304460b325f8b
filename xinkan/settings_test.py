"""Settings for the test suite: the normal settings with XINKAN_TESTING on (fast hasher, local cache)."""

import os

os.environ.setdefault("XINKAN_TESTING", "1")

from xinkan.settings import *  # noqa: F403
