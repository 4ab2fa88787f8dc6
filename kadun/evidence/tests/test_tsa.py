"""RFC 3161 on tree heads, against a local TSA: ``openssl ts -reply`` behind a tiny HTTP server on
127.0.0.1, with a CA and a TSA certificate made here for the test."""
from __future__ import annotations

import base64
import http.server
import shutil
import subprocess
import threading

import pytest
from cryptography import x509

from kadun.evidence import services, signing, tsa
from kadun.evidence.models import TreeHead
from kadun.evidence.tests.helpers import append, integrate_all

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")]

CONFIG = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = test
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = {dir}/serial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def local_tsa(tmp_path_factory):
    d = tmp_path_factory.mktemp("tsa")
    (d / "openssl.cnf").write_text(CONFIG.format(dir=d))
    (d / "serial").write_text("01\n")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=kadun test CA",
        "-config", "openssl.cnf", "-extensions", "ca_ext", cwd=d)
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=kadun test TSA", "-config", "openssl.cnf", cwd=d)
    run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tsa.pem", "-days", "2",
        "-extfile", "openssl.cnf", "-extensions", "tsa_ext", cwd=d)
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                (d / "req.tsq").write_bytes(body)
                run("ts", "-reply", "-config", "openssl.cnf", "-queryfile", "req.tsq", "-signer", "tsa.pem", "-inkey", "tsa.key",
                    "-out", "resp.tsr", cwd=d)  # no -chain: OpenSSL 3.0 writes the SET of two certificates unsorted (not DER), which rfc3161-client refuses
                answer = (d / "resp.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root = x509.load_pem_x509_certificate((d / "ca.pem").read_bytes())
    yield {"url": f"http://127.0.0.1:{server.server_address[1]}/", "root": root, "dir": d}
    server.shutdown()
    server.server_close()


def test_a_head_gets_a_time_stamp_that_verifies_against_the_tsa_ca(local_tsa, settings):
    settings.KADUN_EVIDENCE_TSA_URL = local_tsa["url"]
    append()
    integrate_all()
    head = services.heads_sign(force=True)
    assert "tsa_token" in head
    token = base64.b64decode(head["tsa_token"])
    message = signing.head_message(tree_size=head["tree_size"], root_hash=head["root_hash"], timestamp=head["timestamp"])
    assert tsa.verify(token, message, roots=[local_tsa["root"]])
    assert TreeHead.objects.get(tree_size=1).tsa_token == head["tsa_token"]
    # openssl agrees, on the token as stored
    (local_tsa["dir"] / "token.der").write_bytes(token)
    (local_tsa["dir"] / "message").write_bytes(message)
    run("ts", "-verify", "-token_in", "-in", "token.der", "-data", "message", "-CAfile", "ca.pem", "-untrusted", "tsa.pem", cwd=local_tsa["dir"])


def test_a_time_stamp_does_not_verify_for_another_head(local_tsa, settings):
    settings.KADUN_EVIDENCE_TSA_URL = local_tsa["url"]
    append()
    integrate_all()
    head = services.heads_sign(force=True)
    token = base64.b64decode(head["tsa_token"])
    other = signing.head_message(tree_size=head["tree_size"], root_hash="0" * 64, timestamp=head["timestamp"])
    assert not tsa.verify(token, other, roots=[local_tsa["root"]])


def test_an_unreachable_tsa_leaves_the_head_signed_without_a_stamp(settings):
    settings.KADUN_EVIDENCE_TSA_URL = "http://127.0.0.1:9/"  # discard port: nothing listens
    settings.KADUN_EVIDENCE_TSA_TIMEOUT_SECONDS = 2
    append()
    integrate_all()
    head = services.heads_sign(force=True)
    assert head["tree_size"] == 1 and "tsa_token" not in head and signing.verify_head(head)


def test_time_stamps_are_off_by_default(settings):
    assert settings.KADUN_EVIDENCE_TSA_URL == ""
    append()
    integrate_all()
    assert "tsa_token" not in services.heads_sign(force=True)
