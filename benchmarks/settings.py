"""Settings for benchmark runs only: the app's settings plus two baseline views.

Selected with DJANGO_SETTINGS_MODULE=benchmarks.settings by `make bench`; a normal run
never loads this module, so the baseline URLs are unreachable there.
"""

from joblokal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
