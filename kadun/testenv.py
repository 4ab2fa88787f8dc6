"""A pytest plugin (``-p kadun.testenv`` in pyproject's addopts): the environment of a test run,
set before pytest-django reads the settings and inherited by every process a test starts.

A test run is a development machine even when it points at PostgreSQL: it may generate its
secrets into var/ (a deployment may not) and it pays in the sandbox (a deployment does not,
unless told). Tests that need production settings start a process with an environment of their
own (``kadun/core/tests/test_deploy_settings.py``)."""
import os

os.environ.setdefault("KADUN_GENERATED_SECRETS", "1")
os.environ.setdefault("KADUN_PAYMENT_PROVIDERS", "sandbox,wallet")
# Shops in the older suites sell without a deposit; the deposit tests switch the refusal on.
os.environ.setdefault("KADUN_DEPOSIT_ENFORCE_SELLING", "0")
