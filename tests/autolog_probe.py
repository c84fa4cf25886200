"""Fit a set of scikit-learn estimators under ``sklearn.autolog`` with real mlflow or
aiomlflow, in a fresh process, and print what each fit logged as one JSON line
(``AUTOLOG_PROBE <json>``).  tests/test_autolog.py runs it with both and compares.

    python autolog_probe.py mlflow|aiomlflow LOG_MODELS(0|1) LOG_DATASETS(0|1) SET(all|small)
"""

import json
import os
import sys
import warnings

warnings.simplefilter("ignore")
target, log_models, log_datasets, which = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1", \
    sys.argv[4]
if target == "mlflow":
    import mlflow
else:
    import aiomlflow as mlflow

import numpy as np

mlflow.set_tracking_uri(f"sqlite:///{os.getcwd()}/probe.db")
mlflow.sklearn.autolog(log_models=log_models, log_datasets=log_datasets, extra_tags={"team": "a"})

from sklearn.cluster import KMeans  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

rng = np.random.RandomState(0)
X = rng.rand(40, 3)
y = X @ [1.0, 2.0, 3.0]
yc = (y > y.mean()).astype(int)
y3 = np.digitize(y, np.quantile(y, [0.33, 0.66]))
SYSTEM_TAGS = ("mlflow.parentRunId", "mlflow.runName", "mlflow.user", "mlflow.source.name",
               "mlflow.source.type")
out = {}


def dump(name, run):
    client = mlflow.MlflowClient()
    r = client.get_run(run.info.run_id)
    children = client.search_runs(
        [r.info.experiment_id], f"tags.`mlflow.parentRunId` = '{run.info.run_id}'")
    models = mlflow.search_logged_models(
        experiment_ids=[r.info.experiment_id],
        filter_string=f"source_run_id = '{run.info.run_id}'", output_format="list")
    out[name] = {
        "params": r.data.params,
        "metrics": sorted(r.data.metrics),
        "tags": {k: v for k, v in r.data.tags.items()
                 if not k.startswith("mlflow.") or k == "mlflow.autologging"},
        "status": r.info.status,
        "artifacts": sorted(f.path for f in client.list_artifacts(run.info.run_id)),
        "inputs": sorted((d.dataset.name, d.dataset.digest, d.dataset.source_type,
                          sorted((t.key, t.value) for t in d.tags))
                         for d in (r.inputs.dataset_inputs if r.inputs else [])),
        "models": sorted((m.name, sorted(m.params), sorted(x.key for x in (m.metrics or [])))
                         for m in models),
        "model_outputs": len(r.outputs.model_outputs) if r.outputs else 0,
        "children": sorted(
            (sorted(c.data.params.items()), sorted(c.data.metrics),
             sorted((k, v) for k, v in c.data.tags.items() if k not in SYSTEM_TAGS))
            for c in children),
    }


LinearRegression().fit(X, y)
dump("linreg_managed", mlflow.last_active_run())
with mlflow.start_run() as run:
    Ridge(alpha=0.5).fit(X, y)
dump("ridge_user_run", run)
if which == "all":
    LogisticRegression().fit(X, yc)
    dump("logreg_binary", mlflow.last_active_run())
    DecisionTreeClassifier(random_state=0).fit(X, y3)
    dump("tree_multiclass", mlflow.last_active_run())
    SVC().fit(X, yc)
    dump("svc_no_proba", mlflow.last_active_run())
    KMeans(n_clusters=2, n_init=2, random_state=0).fit(X)
    dump("kmeans_unsupervised", mlflow.last_active_run())
    Pipeline([("scale", StandardScaler()), ("lr", LinearRegression())]).fit(X, y)
    dump("pipeline", mlflow.last_active_run())
    GridSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]},
                 cv=2).fit(X, yc)
    dump("gridsearch", mlflow.last_active_run())
    before = mlflow.last_active_run().info.run_id
    cross_val_score(LinearRegression(), X, y, cv=2)
    out["cross_val_score_starts_no_run"] = mlflow.last_active_run().info.run_id == before
print("AUTOLOG_PROBE " + json.dumps(out, sort_keys=True, default=str))
