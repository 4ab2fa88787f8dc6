"""The import-linter contracts (pyproject.toml, `make lint`) name every app and every page module.

import-linter's wildcards match whole module names only (``kadun.*.views`` but not
``kadun.*.views_*``), and a contract lists its apps by name: a new app, or a new ``views_*.py``,
would sit outside the rooms without anyone noticing. These tests notice.
"""
from __future__ import annotations

import fnmatch
import pathlib
import tomllib

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "kadun"
CONTRACTS = {c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]}
PAGE_MODULES = ("views", "views_*", "api", "forms", "urls")


def _apps() -> set[str]:
    return {p.parent.name for p in PACKAGE.glob("*/apps.py")}


def test_core_is_forbidden_every_other_app():
    assert set(CONTRACTS["core-floor"]["forbidden_modules"]) == {f"kadun.{app}" for app in _apps() - {"core"}}


def test_every_app_is_held_to_the_doors():
    assert set(CONTRACTS["doors"]["source_modules"]) == {f"kadun.{app}" for app in _apps()}


def test_every_page_module_is_behind_the_doors():
    forbidden = {name.removeprefix("kadun.*.") for name in CONTRACTS["doors"]["forbidden_modules"]}
    pages = {
        path.stem if path.suffix else path.name
        for app in _apps()
        for path in (PACKAGE / app).iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
        and any(fnmatch.fnmatch(path.stem if path.suffix else path.name, pattern) for pattern in PAGE_MODULES)
    }
    assert pages - forbidden == set()


def test_every_app_with_models_has_them_protected():
    with_models = {app for app in _apps() if (PACKAGE / app / "models.py").exists() or (PACKAGE / app / "models").is_dir()}
    protected = {c["protected_modules"][0].split(".")[1] for c in CONTRACTS.values() if c["type"] == "protected"}
    assert protected == with_models
    for app in with_models:
        contract = CONTRACTS[f"models-{app}"]
        assert contract["protected_modules"] == [f"kadun.{app}.models"]
        assert contract["allowed_importers"] == [f"kadun.{app}", "kadun.*.tests"]
