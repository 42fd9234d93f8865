"""The shard exchange on an object store (issue 20, "A deployment folder"): with ``[storage] uri``
an ``s3://`` URI, a night writes and reads its shards through fsspec on an S3 server (moto's, on
this machine) and ends with the same trades, blotter and store as a night on a local folder."""

from __future__ import annotations

import socket

import fsspec
import pytest

from tests.e2e.test_nightly_cli import outputs, store_results
from tests.nightly_env import AS_OF, sma, workplace

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A local S3 server and the environment that points botocore (s3fs) at it."""
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    env = {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    try:
        yield env
    finally:
        server.stop()


def test_a_night_exchanging_shards_on_s3_ends_as_a_night_on_a_local_folder(
    tiny_inbox, tmp_path, s3_endpoint
):
    args = ["nightly", "--inbox", str(tiny_inbox), "--date", AS_OF.isoformat()]
    local_root, s3_root = tmp_path / "local", tmp_path / "s3"
    local = sma(args, workplace(local_root, workers=2), local_root)
    assert local.returncode == 0, local.stderr

    fs = fsspec.filesystem(
        "s3",
        endpoint_url=s3_endpoint["AWS_ENDPOINT_URL"],
        key="testing",
        secret="testing",
    )
    fs.mkdir("nights")  # the bucket (us-east-1: moto refuses it named as a location constraint)
    env = {
        **workplace(s3_root, workers=2),
        **s3_endpoint,
        "SMA_STORAGE__URI": "s3://nights/sma",
    }
    on_s3 = sma(args, env, s3_root)
    assert on_s3.returncode == 0, on_s3.stderr

    assert not (s3_root / "storage").exists()  # the exchange went to the object store
    written = fs.find("nights/sma")
    assert any("/shards/" in k for k in written) and any("/decisions/" in k for k in written)
    assert not [k for k in written if ".tmp-" in k]  # no temporary object left behind
    assert outputs(s3_root) == outputs(local_root)
    assert store_results(s3_root) == store_results(local_root)
