"""Reads an experiment back with the MLflow Python client and prints what it saw as JSON.

Usage: python mlflow-read-back.py EXPERIMENT_NAME [--artifacts]
The store comes from MLFLOW_TRACKING_URI (a file store or a migrated SQLite database).
"""

import json
import math
import os
import sys
import tempfile

from mlflow.tracking import MlflowClient


def num(value):
    """JSON has no NaN or infinity; spell them as Python's float() would read them."""
    return value if math.isfinite(value) else repr(value)


def list_files(client, run_id, path=None):
    for info in client.list_artifacts(run_id, path):
        if info.is_dir:
            yield from list_files(client, run_id, info.path)
        else:
            yield info.path


def main():
    name = sys.argv[1]
    with_artifacts = "--artifacts" in sys.argv[2:]
    client = MlflowClient()
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        raise SystemExit(f"experiment {name!r} not found in {os.environ.get('MLFLOW_TRACKING_URI')}")
    runs = client.search_runs([experiment.experiment_id], max_results=1000)
    out = {"experiment_id": experiment.experiment_id, "runs": []}
    for run in runs:
        run_id = run.info.run_id
        history = {
            key: [[m.step, num(m.value), m.timestamp] for m in client.get_metric_history(run_id, key)]
            for key in run.data.metrics
        }
        artifacts = {}
        if with_artifacts:
            target = tempfile.mkdtemp()
            for path in list_files(client, run_id):
                local = client.download_artifacts(run_id, path, target)
                with open(local, "rb") as f:
                    artifacts[path] = f.read().decode("utf-8", errors="replace")
        out["runs"].append(
            {
                "run_id": run_id,
                "run_name": run.info.run_name,
                "status": run.info.status,
                "start_time": run.info.start_time,
                "end_time": run.info.end_time,
                "params": run.data.params,
                "tags": run.data.tags,
                "metrics": {k: num(v) for k, v in run.data.metrics.items()},
                "history": history,
                "artifacts": artifacts,
            }
        )
    parents = {r["tags"].get("mlflow.parentRunId") for r in out["runs"]} - {None}
    out["children"] = {
        parent: sorted(
            r.info.run_id
            for r in client.search_runs(
                [experiment.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent}'"
            )
        )
        for parent in parents
    }
    print(json.dumps(out, allow_nan=False))


if __name__ == "__main__":
    main()
