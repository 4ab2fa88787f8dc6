"""Browser tests run against a real `kadun serve` (waitress + in-process sweeper) on a fresh
SQLite file, exactly as `make run` starts it, driven by Playwright in Debian's Chromium."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_kadun(tmp_path_factory):
    var = tmp_path_factory.mktemp("kadun-var")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(KADUN_VAR_DIR=str(var), KADUN_SITE_URL=f"http://127.0.0.1:{port}", KADUN_SWEEP_INTERVAL_SECONDS="0.2")
    # A merchant's webhook on this machine (a receiver the test starts), as in development.
    env.update(KADUN_NOTIFY_ALLOW_PRIVATE="1", KADUN_NOTIFY_ALLOW_HTTP="1")
    cli = [sys.executable, "-m", "kadun.cli"]
    subprocess.run(cli + ["migrate", "--noinput", "-v0"], env=env, check=True)
    subprocess.run(cli + ["demo"], env=env, check=True, stdout=subprocess.DEVNULL)
    log = open(var / "serve.log", "w")
    server = subprocess.Popen(cli + ["serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/", timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        server.kill()
        pytest.fail("kadun serve did not start: " + (var / "serve.log").read_text())
    yield {"base": base, "var": var, "env": env}
    server.terminate()
    server.wait(10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: /usr/bin/chromium is missing (make test installs Debian's chromium)")
        pytest.skip("Debian chromium not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()
