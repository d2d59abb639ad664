"""The demo gives Prefect's temporary server time to start on a busy machine, unless told."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
# What the flows see: prefect's own setting, read in a fresh process after the demo's set-up.
PROBE = """
import tempfile
from pathlib import Path
from cli.demo import _configure
_configure("http://127.0.0.1:9", Path(tempfile.mkdtemp()))
from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS as setting
print(setting.value())
"""


@pytest.mark.parametrize(("given", "seen"), [(None, "120"), ("45", "45"), ("300", "300")])
def test_the_demo_waits_120_s_for_the_temporary_server_unless_the_user_said(given, seen):
    env = {name: value for name, value in os.environ.items() if name != SETTING}
    if given is not None:
        env[SETTING] = given
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == seen
