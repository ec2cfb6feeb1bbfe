"""Start a moto server on 127.0.0.1 (free port) for the demo, the tests and the benchmarks.

The product reaches it exactly as it reaches AWS: through boto3 with ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import logging
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

from trailwarden.demo.motogaps import teach_moto

# Credentials moto accepts; its default account is 123456789012.
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """Run a threaded moto server for the duration of the block; yield its endpoint URL.

    The server runs in this process, so teach_moto() (idempotent) first patches moto's backends
    to answer what real AWS answers where moto 5.2.5 differs (see demo/motogaps.py).
    """
    teach_moto()
    # werkzeug logs every request at INFO to stderr; keep only its warnings and errors.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def reset_moto(endpoint: str) -> None:
    """Forget every resource in every account (moto's own reset API)."""
    req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(req, timeout=30):
        pass


@contextmanager
def pointed_at(endpoint: str) -> Iterator[None]:
    """Point boto3 (the standard credential chain and AWS_ENDPOINT_URL) at the server."""
    saved = {k: os.environ.get(k) for k in [*FAKE_ENV, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(FAKE_ENV)
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    os.environ.pop("AWS_PROFILE", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
