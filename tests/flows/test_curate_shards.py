"""The curate flow with shards as Prefect tasks on thread and process task runners: same snapshot as inline."""

import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.curate import curate_flow
from tests.helpers import write_params


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_sharded_runners_produce_the_inline_snapshot(harness, tmp_path):
    params_file = str(write_params(tmp_path, raw_lines=400))
    inline = curate_flow(params_file)
    for runner in ("process", "thread"):
        sharded = curate_flow(params_file, {"curate": {"task_runner": runner, "workers": 2, "shard_size": 60}})
        assert sharded["snapshot"]["id"] == inline["snapshot"]["id"], runner  # DVC md5 of the curated files
        assert sharded["counts"] == inline["counts"]
