"""Fixtures that build on each other:

env -> aws (in-process moto) -> s3 -> bucket -> config -> store -> app -> client
env -> make_app(**settings): an app built with extra settings
moto_server (one per session, over HTTP) -> live (env pointing boto3 at it) -> live_bucket, live_app -> live_client
"""

from __future__ import annotations

import uuid

import pytest

from tests.support.helpers import BUCKET, free_port, import_handler


@pytest.fixture
def env(monkeypatch):
    """A clean AWS environment: fake credentials, no endpoint, the test bucket."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("UPLOAD_BUCKET", BUCKET)
    return monkeypatch


@pytest.fixture(scope="session")
def moto_s3_urls_once():
    """moto re-imports moto.s3.urls on every in-process S3 request, to pick up
    MOTO_S3_CUSTOM_ENDPOINTS, which this suite never sets: a sixth of each call's time
    (the race tests make thousands). Imported once instead."""
    from moto.s3 import urls
    from moto.s3.models import S3Backend

    patch = pytest.MonkeyPatch()
    patch.setattr(S3Backend, "_url_module", property(lambda self: urls))
    yield
    patch.undo()


@pytest.fixture
def aws(env, moto_s3_urls_once):
    """moto in-process, as strict as S3 where the service's paths meet S3's rules
    (devstack/strict_s3.py: ranged copies, copy sizes, the default checksum)."""
    from moto import mock_aws

    from devstack import strict_s3 as rules

    with mock_aws(), rules.strict():
        yield


@pytest.fixture
def strict_s3(aws):
    """The rules of devstack/strict_s3.py (which `aws` turns on, and the local stack always
    uses), for a test that arms a 409: `strict_s3.arm_conflict(bucket, key)`."""
    from devstack import strict_s3 as rules

    return rules


@pytest.fixture
def s3(aws):
    import boto3

    return boto3.client("s3", region_name="us-east-1")


@pytest.fixture
def bucket(s3):
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture
def config(bucket):
    from upload_core.config import Config

    return Config.from_env()


@pytest.fixture
def store(config):
    from upload_core.s3.store import S3Store

    return S3Store(config)


@pytest.fixture
def app(config, store):
    from upload_core.http import create_app

    return create_app(config, store)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def moto_server():
    """moto's S3 server on 127.0.0.1, reached over real HTTP (presigned URLs get used)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def live(env, moto_server):
    """A fresh bucket on the moto server, with boto3 pointed at it by its own variable; the
    server answers as strictly as S3 (devstack/strict_s3.py) while the test runs."""
    import boto3

    from devstack import strict_s3 as rules

    rules.enable()  # the moto server runs in this process: S3's rules for this test
    name = f"uploads-{uuid.uuid4().hex[:12]}"
    env.setenv("AWS_ENDPOINT_URL_S3", moto_server)
    env.setenv("UPLOAD_BUCKET", name)
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_server)
    client.create_bucket(Bucket=name)
    yield client
    rules.disable()


@pytest.fixture
def live_bucket(live):
    import os

    return os.environ["UPLOAD_BUCKET"]


@pytest.fixture
def make_app(env):
    """An app built from the environment plus `settings` (variable=value), for tests of a setting."""

    def build(**settings: object):
        from upload_core.http import create_app

        for name, value in settings.items():
            env.setenv(name, str(value))
        return create_app()

    return build


@pytest.fixture
def live_app(live, make_app):
    """The app on the moto server, with multipart from 5 MiB so tests stay small."""
    return make_app(MULTIPART_THRESHOLD_BYTES=5 * 1024 * 1024)


@pytest.fixture
def live_client(live_app):
    return live_app.test_client()


@pytest.fixture
def handler(bucket):
    """The Lambda entry points, imported after moto and the environment are in place."""
    return import_handler()


@pytest.fixture
def live_handler(live):
    """The Lambda entry points against moto's S3 server."""
    return import_handler()


@pytest.fixture(scope="session")
def clamd():
    """Debian's clamd on a free port of 127.0.0.1 with the tests' own signature database."""
    from tests.support.clamd import Clamd

    server = Clamd().start()
    yield server
    server.stop()


@pytest.fixture
def clock():
    """Seconds since 1970 that the test moves by hand (quota expiry, owners' index)."""

    class Clock:
        now = 1_800_000_000.0

        def __call__(self) -> float:
            return self.now

    return Clock()


def pytest_collection_modifyitems(items):
    """The race tests (test_interleavings) take a third of the suite's time in a few tests:
    they start first, so pytest-xdist's workers share the rest around them instead of one
    worker running them alone at the end."""
    items.sort(key=lambda item: "test_interleavings.py" not in item.nodeid)
