"""Fit a set of scikit-learn estimators under ``sklearn.autolog`` with real mlflow or
aiomlflow, in a fresh process, and print what each fit logged as one JSON line
(``AUTOLOG_PROBE <json>``).  tests/test_autolog.py runs it with both and compares.

    python autolog_probe.py mlflow|aiomlflow CONFIG [CONFIG ...]

where each CONFIG is ``LOG_MODELS(0|1),LOG_DATASETS(0|1),SET(all|small|post)``.  The
configurations run one after the other in the one process (importing mlflow and
scikit-learn takes seconds), each with ``sklearn.autolog`` configured anew and a
SQLite store of its own; the JSON maps each CONFIG to what its fits logged.

``post`` exercises post-training metrics: predictions, scores and ``sklearn.metrics``
calls after the fits, whose metric keys, values and ``metric_info.json`` are dumped.
"""

import json
import os
import sys
import warnings

warnings.simplefilter("ignore")
target, configs = sys.argv[1], sys.argv[2:]
if target == "mlflow":
    import mlflow
else:
    import aiomlflow as mlflow

import numpy as np


def configure(config: str) -> tuple:
    """A store of its own and ``sklearn.autolog`` set up for ``config``."""
    log_models, log_datasets, which = config.split(",")
    settings = {"log_models": log_models == "1", "log_datasets": log_datasets == "1",
                "extra_tags": {"team": "a"}}
    mlflow.set_tracking_uri(f"sqlite:///{os.getcwd()}/probe-{which}.db")
    mlflow.sklearn.autolog(**settings)
    return settings, which


configure(configs[0])  # before scikit-learn is imported, as MLflow documents

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
out = {}  # what the current configuration's fits logged


def metric_info(client, run_id):
    names = [f.path for f in client.list_artifacts(run_id)]
    if "metric_info.json" not in names:
        return None
    with open(client.download_artifacts(run_id, "metric_info.json", "."), encoding="utf-8") as f:
        return f.read()


def dump(name, run):
    mlflow.flush_async_logging()  # post-training metrics are logged asynchronously
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
        "post_training_metrics": {k: v for k, v in r.data.metrics.items()
                                  if not k.startswith(("training_", "best_"))},
        "metric_info": metric_info(client, run.info.run_id),
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


def post_training(settings):
    """Predictions, scores and metric calls after autologged fits."""
    import pandas as pd
    from sklearn import metrics
    from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score

    X_test = rng.rand(15, 3)
    y_test = X_test @ [1.0, 2.0, 3.0] + rng.rand(15) * 0.1
    yc_test = (y_test > y.mean()).astype(int)
    y3_test = np.digitize(y_test, np.quantile(y, [0.33, 0.66]))
    X_df = pd.DataFrame(X, columns=["a", "b", "c"])
    X_test_df = pd.DataFrame(X_test, columns=["a", "b", "c"])

    # a regressor trained on a DataFrame, two eval sets
    regressor = Ridge(alpha=0.5).fit(X_df, y)
    regressor_run = mlflow.last_active_run()
    y_pred = regressor.predict(X_test_df)
    mean_squared_error(y_test, y_pred)
    r2_score(y_true=y_test, y_pred=y_pred)
    X_valid = X_test_df.iloc[:8]
    y_valid_pred = regressor.predict(X_valid)
    mean_squared_error(y_test[:8], y_valid_pred)
    regressor.score(X_test_df, y_test)
    regressor.score(X_valid, y_test[:8])
    dump("post_regressor", regressor_run)

    # a binary classifier: predict and predict_proba based metrics; a derived array
    # (proba[:, 1]) is not a tracked prediction, as MLflow documents
    classifier = LogisticRegression().fit(X, yc)
    classifier_run = mlflow.last_active_run()
    predictions = classifier.predict(X_test)
    proba = classifier.predict_proba(X_test)
    accuracy_score(yc_test, predictions)
    accuracy_score(yc_test, predictions, normalize=False)
    metrics.f1_score(yc_test, predictions, pos_label=1, average="binary")
    log_loss(yc_test, proba)
    metrics.roc_auc_score(yc_test, proba[:, 1])
    classifier.score(X_test, yc_test)
    # another run active: the metric still goes to the run that trained the model
    with mlflow.start_run() as other:
        metrics.precision_score(yc_test, predictions)
    dump("post_binary", classifier_run)
    dump("post_other_run", other)

    # a multiclass classifier: roc_auc_score of the probabilities
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y3)
    tree_run = mlflow.last_active_run()
    tree_proba = tree.predict_proba(X_test)
    metrics.roc_auc_score(y3_test, tree_proba, multi_class="ovr")
    tree_log_proba = tree.predict_log_proba(X_test)
    metrics.confusion_matrix(y3_test, tree.predict(X_test))  # not a number: not logged
    del tree_log_proba
    dump("post_multiclass", tree_run)

    # a pipeline: its predict and score, not its steps'
    pipeline = Pipeline([("scale", StandardScaler()), ("lr", LinearRegression())]).fit(X, y)
    pipeline_run = mlflow.last_active_run()
    pipe_pred = pipeline.predict(X_test)
    metrics.mean_absolute_error(y_test, pipe_pred)
    pipeline.score(X_test, y_test)
    dump("post_pipeline", pipeline_run)

    # predictions of a model trained without autologging, and copies: nothing logged
    mlflow.sklearn.autolog(disable=True)
    untracked = LinearRegression().fit(X, y)
    mlflow.sklearn.autolog(**settings)
    before = {r.info.run_id: r.data.metrics for r in mlflow.search_runs(output_format="list")}
    untracked_pred = untracked.predict(X_test)
    mean_squared_error(y_test, untracked_pred)
    untracked.score(X_test, y_test)
    mean_squared_error(y_test, y_pred.copy())
    mlflow.flush_async_logging()
    after = {r.info.run_id: r.data.metrics for r in mlflow.search_runs(output_format="list")}
    out["untracked_logs_nothing"] = before == after


def probe(config):
    settings, which = configure(config)
    LinearRegression().fit(X, y)
    dump("linreg_managed", mlflow.last_active_run())
    with mlflow.start_run() as run:
        Ridge(alpha=0.5).fit(X, y)
    dump("ridge_user_run", run)
    if which == "post":
        post_training(settings)
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


results = {}
for config in configs:
    out = {}
    probe(config)
    results[config] = out
print("AUTOLOG_PROBE " + json.dumps(results, sort_keys=True, default=str))
