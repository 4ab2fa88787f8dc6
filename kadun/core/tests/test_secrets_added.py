"""A secret introduced after var/secrets.json was written (KADUN_EVIDENCE_HASH_SECRET) is
generated once into the file, which keeps every earlier secret and its owner-only mode."""
import json
import os

from kadun.settings.secrets import _fresh, load_secrets


def test_a_new_secret_is_added_to_an_old_secrets_file(tmp_path, monkeypatch):
    for name in _fresh():
        monkeypatch.delenv(name, raising=False)
    old = _fresh()
    old.pop("KADUN_EVIDENCE_HASH_SECRET")
    (tmp_path / "secrets.json").write_text(json.dumps(old))

    values = load_secrets(tmp_path)

    stored = json.loads((tmp_path / "secrets.json").read_text())
    assert len(values["KADUN_EVIDENCE_HASH_SECRET"]) >= 32 and stored["KADUN_EVIDENCE_HASH_SECRET"] == values["KADUN_EVIDENCE_HASH_SECRET"]
    assert stored["SECRET_KEY"] == old["SECRET_KEY"] == values["SECRET_KEY"]
    assert os.stat(tmp_path / "secrets.json").st_mode & 0o777 == 0o600
    assert load_secrets(tmp_path)["KADUN_EVIDENCE_HASH_SECRET"] == values["KADUN_EVIDENCE_HASH_SECRET"]  # kept from now on
