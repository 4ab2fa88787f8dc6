"""The offline verifier of evidence bundles: ``python -m kadun.evidence.offline BUNDLE.zip``.

Imports only the standard library, ``cryptography``, ``kadun.evidence.canonical`` and
``kadun.evidence.merkle`` — never Django (a test runs it in a subprocess and checks)."""
