"""Content-Security-Policy: scripts only from our own files, and nothing the pages need from a CDN."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import kadun

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(kadun.__file__).parent.glob("**/templates/**/*.html"))


def _directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part}


def test_pages_send_a_policy_that_allows_only_our_own_scripts(product):
    policy = _directives(Client().get(f"/p/{product.pk}/"))
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert "'unsafe-eval'" not in sum(policy.values(), [])


def test_api_docs_load_swagger_ui_from_our_own_static_files(db):
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "/static/ninja/swagger-ui.css" in html
    assert not re.search(r"""(src|href)=["']https?://""", html)  # no CDN
    assert Client().get("/static/ninja/swagger-ui-bundle.js").status_code == 200
    assert "Content-Security-Policy" in response


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(Path(kadun.__file__).parent)))
def test_no_template_has_an_inline_script_or_handler(path):
    text = path.read_text()
    inline = [m for m in re.finditer(r"<script\b([^>]*)>", text) if "src=" not in m.group(1) and "application/json" not in m.group(1)]
    assert not inline, f"inline <script> in {path.name}: move it to a static file"
    assert not re.search(r"""\son[a-z]+\s*=\s*["']""", text), f"on*= handler in {path.name}"
    assert "hx-on" not in text and "javascript:" not in text
