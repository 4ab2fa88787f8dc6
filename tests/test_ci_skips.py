"""Under CI a skipped browser or PostgreSQL test fails the run (conftest.pytest_sessionfinish):
a suite that silently skips what it can't run would pass without proving anything."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run_skipping(test_source: str, *, ci: bool) -> subprocess.CompletedProcess:
    path = ROOT / "tests" / f"test_zz_skip_{uuid.uuid4().hex[:8]}.py"
    path.write_text(test_source)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    try:
        return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", str(path)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
    finally:
        path.unlink()


SKIPS_A_BROWSER_TEST = "import pytest\n\n\ndef test_needs_a_browser():\n    pytest.skip('Debian chromium not installed')\n"
SKIPS_A_PG_TEST = "import pytest\n\n\n@pytest.mark.pg\ndef test_needs_postgres():\n    pass\n"


def test_under_ci_a_skipped_browser_test_fails_the_run():
    result = _run_skipping(SKIPS_A_BROWSER_TEST, ci=True)
    assert result.returncode == 1, result.stdout
    assert "skipped that must run" in result.stdout and "chromium not installed" in result.stdout


def test_without_ci_a_skip_is_only_reported():
    assert _run_skipping(SKIPS_A_BROWSER_TEST, ci=False).returncode == 0


def test_under_ci_a_postgresql_test_may_skip_only_on_sqlite():
    from django.db import connection

    result = _run_skipping(SKIPS_A_PG_TEST, ci=True)
    on_pg = connection.vendor == "postgresql"
    assert result.returncode == 0, result.stdout  # on SQLite it is skipped as expected; on PostgreSQL it runs
    assert ("1 skipped" in result.stdout) != on_pg
