"""The metrics of ``mlflow.metrics``: regression and classification scores (scikit-learn),
retrieval scores, and the text metrics whose optional packages (``evaluate``, ``textstat``,
``tiktoken``) are used when installed and otherwise skipped with a warning, as MLflow does.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

from .metric import EvaluationMetric, MetricValue, make_metric, standard_aggregations

_logger = logging.getLogger(__name__)

_TARGETS = "the column specified by the `targets` parameter"
_PREDICTIONS = "the column specified by the `predictions` parameter or the model output column"


def _noop(*args, **kwargs):
    """The eval_fn of a metric built with an invalid parameter: logs nothing."""
    return None


def _has_targets(targets) -> bool:
    return targets is not None and len(targets) != 0


def _texts_ok(data, metric_name: str, column: str) -> bool:
    """Whether ``data`` is a non-empty column of strings (else a warning, as MLflow)."""
    if data is None or len(data) == 0:
        _logger.warning(f"Cannot calculate {metric_name} for empty inputs: {column} is empty "
                        "or the parameter is not specified. Skipping metric logging.")
        return False
    for row, line in enumerate(data):
        if not isinstance(line, str):
            _logger.warning(f"Cannot calculate {metric_name} for non-string inputs. Non-string "
                            f"found for {column} on row {row}. Skipping metric logging.")
            return False
    return True


def _id_lists_ok(data, metric_name: str, column: str) -> bool:
    """Whether ``data`` is a non-empty column of lists (or arrays) of str/int doc ids."""
    if data is None or len(data) == 0:
        return False
    for index, value in data.items():
        if not ((isinstance(value, list) and all(isinstance(v, (str, int)) for v in value))
                or (isinstance(value, np.ndarray) and (np.issubdtype(value.dtype, str)
                                                       or np.issubdtype(value.dtype, int)))):
            _logger.warning(f"Cannot calculate metric '{metric_name}' for non-arraylike of "
                            f"string or int inputs. Non-arraylike of strings/ints found for "
                            f"{column} on row {index}, value {value}. Skipping metric logging.")
            return False
    return True


def _per_row(scores) -> MetricValue:
    return MetricValue(scores=scores, aggregate_results=standard_aggregations(scores))


# ----------------------------------------------------------------------------- regression
def _sk():
    from sklearn import metrics

    return metrics


def root_mean_squared_error(y_true, y_pred, sample_weight=None):
    """sklearn's RMSE (``mean_squared_error(squared=False)`` before scikit-learn 1.4)."""
    sk = _sk()
    if hasattr(sk, "root_mean_squared_error"):
        return sk.root_mean_squared_error(y_true=y_true, y_pred=y_pred,
                                          sample_weight=sample_weight)
    return sk.mean_squared_error(y_true=y_true, y_pred=y_pred, sample_weight=sample_weight,
                                 squared=False)


def _mae_eval_fn(predictions, targets=None, metrics=None, sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"mean_absolute_error": _sk().mean_absolute_error(
            targets, predictions, sample_weight=sample_weight)})


def _mse_eval_fn(predictions, targets=None, metrics=None, sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"mean_squared_error": _sk().mean_squared_error(
            targets, predictions, sample_weight=sample_weight)})


def _rmse_eval_fn(predictions, targets=None, metrics=None, sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"root_mean_squared_error": root_mean_squared_error(
            targets, predictions, sample_weight=sample_weight)})


def _r2_score_eval_fn(predictions, targets=None, metrics=None, sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"r2_score": _sk().r2_score(
            targets, predictions, sample_weight=sample_weight)})


def _max_error_eval_fn(predictions, targets=None, metrics=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"max_error": _sk().max_error(targets,
                                                                           predictions)})


def _mape_eval_fn(predictions, targets=None, metrics=None, sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={
            "mean_absolute_percentage_error": _sk().mean_absolute_percentage_error(
                targets, predictions, sample_weight=sample_weight)})


# ----------------------------------------------------------------------------- classification
def _recall_eval_fn(predictions, targets=None, metrics=None, pos_label=1, average="binary",
                    sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"recall_score": _sk().recall_score(
            targets, predictions, pos_label=pos_label, average=average,
            sample_weight=sample_weight)})


def _precision_eval_fn(predictions, targets=None, metrics=None, pos_label=1, average="binary",
                       sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"precision_score": _sk().precision_score(
            targets, predictions, pos_label=pos_label, average=average,
            sample_weight=sample_weight)})


def _f1_score_eval_fn(predictions, targets=None, metrics=None, pos_label=1, average="binary",
                      sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"f1_score": _sk().f1_score(
            targets, predictions, pos_label=pos_label, average=average,
            sample_weight=sample_weight)})


def _accuracy_eval_fn(predictions, targets=None, metrics=None, sample_weight=None):
    if _has_targets(targets):
        return MetricValue(aggregate_results={"exact_match": _sk().accuracy_score(
            y_true=targets, y_pred=predictions, sample_weight=sample_weight)})


# ----------------------------------------------------------------------------- retrieval
def _valid_k(k, metric_name: str) -> bool:
    if isinstance(k, int) and k > 0:
        return True
    _logger.warning(f"Cannot calculate '{metric_name}' for invalid parameter 'k'. 'k' should "
                    f"be a positive integer; found: {k}. Skipping metric logging.")
    return False


def _precision_at_k_eval_fn(k):
    if not _valid_k(k, "precision_at_k"):
        return _noop

    def _fn(predictions, targets):
        if not (_id_lists_ok(predictions, "precision_at_k", _PREDICTIONS)
                and _id_lists_ok(targets, "precision_at_k", _TARGETS)):
            return None
        scores = []
        for target, prediction in zip(targets, predictions):
            relevant, top = set(target), prediction[:k]
            hits = sum(1 for doc in top if doc in relevant)
            scores.append(hits / len(top) if len(top) > 0 else 0)
        return _per_row(scores)
    return _fn


def _recall_at_k_eval_fn(k):
    if not _valid_k(k, "recall_at_k"):
        return _noop

    def _fn(predictions, targets):
        if not (_id_lists_ok(predictions, "recall_at_k", _PREDICTIONS)
                and _id_lists_ok(targets, "recall_at_k", _TARGETS)):
            return None
        scores = []
        for target, prediction in zip(targets, predictions):
            relevant, top = set(target), set(prediction[:k])
            if relevant:
                scores.append(len(relevant & top) / len(relevant))
            else:  # nothing to find: right only when nothing was retrieved
                scores.append(0 if top else 1)
        return _per_row(scores)
    return _fn


def _ndcg_inputs(retrieved, relevant):
    """(y_score, y_true) rows for sklearn's ndcg_score with binary relevance; a doc id
    retrieved again counts as a new document (relevant if the id is)."""
    relevant = set(relevant)
    seen: dict = {}
    ranked = []
    truth = {(doc, 1) for doc in relevant}
    for doc in retrieved:
        seen[doc] = seen.get(doc, 0) + 1
        ranked.append((doc, seen[doc]))
        if doc in relevant:
            truth.add((doc, seen[doc]))
    docs = {doc: i for i, doc in enumerate(truth | set(ranked))}
    width = max(len(docs), 2)  # ndcg_score needs two labels at least
    y_true = np.zeros((1, width), dtype=np.float32)
    y_score = np.zeros((1, width), dtype=np.float32)
    for rank, doc in enumerate(ranked):
        y_score[0, docs[doc]] = 1 - rank * 1e-6  # keeps the retrieval order through the sort
    for doc in truth:
        y_true[0, docs[doc]] = 1
    return y_score, y_true


def _ndcg_at_k_eval_fn(k):
    if not _valid_k(k, "ndcg_at_k"):
        return _noop

    def _fn(predictions, targets):
        if not (_id_lists_ok(predictions, "ndcg_at_k", _PREDICTIONS)
                and _id_lists_ok(targets, "ndcg_at_k", _TARGETS)):
            return None
        scores = []
        for relevant, retrieved in zip(targets, predictions):
            if len(retrieved) == 0 or len(relevant) == 0:
                scores.append(1 if len(retrieved) == len(relevant) else 0)
                continue
            top = retrieved[:k]
            y_score, y_true = _ndcg_inputs(top, relevant)
            scores.append(_sk().ndcg_score(y_true, y_score, k=len(top), ignore_ties=True))
        return _per_row(scores)
    return _fn


# ----------------------------------------------------------------------------- text
@functools.lru_cache(maxsize=8)
def _load_hf_metric(path: str, module_type: str = "metric"):
    import evaluate  # optional: huggingface `evaluate`

    return evaluate.load(path, module_type=module_type)


def _toxicity_eval_fn(predictions, targets=None, metrics=None):
    if not _texts_ok(predictions, "toxicity", _PREDICTIONS):
        return None
    try:
        toxicity = _load_hf_metric("toxicity", module_type="measurement")
    except Exception as e:
        _logger.warning(f"Failed to load 'toxicity' metric (error: {e!r}), skipping metric "
                        "logging.")
        return None
    scores = toxicity.compute(predictions=predictions)["toxicity"]
    ratio = toxicity.compute(predictions=predictions, aggregation="ratio")["toxicity_ratio"]
    return MetricValue(scores=scores,
                       aggregate_results={**standard_aggregations(scores), "ratio": ratio})


def _textstat_fn(label: str, what: str, scorer: str):
    def eval_fn(predictions, targets=None, metrics=None):
        if not _texts_ok(predictions, label, _PREDICTIONS):
            return None
        try:
            import textstat
        except ImportError as e:
            _logger.warning(f"Failed to import textstat for {what} metric (error: {e!r}), "
                            "skipping metric logging. Please install textstat using 'pip "
                            "install textstat'.")
            return None
        return _per_row([getattr(textstat, scorer)(text) for text in predictions])
    return eval_fn


_flesch_kincaid_eval_fn = _textstat_fn("flesch_kincaid", "flesch kincaid", "flesch_kincaid_grade")
_ari_eval_fn = _textstat_fn("ari", "automated readability index", "automated_readability_index")


def _rouge_fn(rouge_type: str):
    def eval_fn(predictions, targets=None, metrics=None):
        if not (_texts_ok(targets, rouge_type, _TARGETS)
                and _texts_ok(predictions, rouge_type, _PREDICTIONS)):
            return None
        try:
            rouge = _load_hf_metric("rouge")
        except Exception as e:
            _logger.warning(f"Failed to load 'rouge' metric (error: {e!r}), skipping metric "
                            "logging.")
            return None
        return _per_row(rouge.compute(predictions=predictions, references=targets,
                                      rouge_types=[rouge_type], use_aggregator=False)[rouge_type])
    return eval_fn


def _bleu_eval_fn(predictions, targets=None, metrics=None):
    if not _texts_ok(targets, "bleu", _TARGETS):
        _logger.error("Target validation failed. Ensure targets are valid for BLEU computation.")
        return None
    if not _texts_ok(predictions, "bleu", _PREDICTIONS):
        _logger.error("Prediction validation failed. Ensure predictions are valid for BLEU "
                      "computation.")
        return None
    try:
        bleu = _load_hf_metric("bleu")
    except Exception as e:
        _logger.warning(f"Failed to load 'bleu' metric (error: {e!r}), skipping metric logging.")
        return None
    scores, empty = [], []
    for i, (prediction, target) in enumerate(zip(predictions, targets)):
        if len(target) == 0 or len(prediction) == 0:
            empty.append(i)
            scores.append(0)
            continue
        try:
            scores.append(bleu.compute(predictions=[prediction], references=[[target]])["bleu"])
        except Exception as e:
            _logger.warning(f"Failed to calculate BLEU for row {i} (error: {e!r}). Skipping.")
            scores.append(0)
    if empty:
        _logger.warning(f"BLEU score calculation skipped for the following indices due to "
                        f"empty target or prediction: {empty}. A score of 0 was appended for "
                        "these entries.")
    if not scores:
        _logger.warning("No BLEU scores were calculated due to input errors.")
        return None
    return _per_row(scores)


# ----------------------------------------------------------------------------- factories
def latency() -> EvaluationMetric:
    """Per-row prediction latency (rows are then predicted one at a time)."""
    return make_metric(eval_fn=lambda x: MetricValue(), greater_is_better=False, name="latency")


def token_count(encoding: str = "cl100k_base") -> EvaluationMetric:
    """Per-row token count of the predictions with tiktoken's ``encoding``."""
    def _token_count_eval_fn(predictions, targets=None, metrics=None):
        import os

        import tiktoken  # as in MLflow, a missing tiktoken fails the evaluation

        os.environ.setdefault("TIKTOKEN_CACHE_DIR", "")
        enc = tiktoken.get_encoding(encoding)
        counts = [len(enc.encode(p)) if isinstance(p, str) else None for p in predictions]
        return MetricValue(scores=counts, aggregate_results={})

    return make_metric(eval_fn=_token_count_eval_fn, greater_is_better=True, name="token_count")


def toxicity() -> EvaluationMetric:
    """Toxicity of the predictions (needs the ``evaluate`` and ``transformers`` packages)."""
    return make_metric(eval_fn=_toxicity_eval_fn, greater_is_better=False, name="toxicity",
                       long_name="toxicity/roberta-hate-speech-dynabench-r4", version="v1")


def flesch_kincaid_grade_level() -> EvaluationMetric:
    """Flesch-Kincaid grade level of the predictions (needs ``textstat``)."""
    return make_metric(eval_fn=_flesch_kincaid_eval_fn, greater_is_better=False,
                       name="flesch_kincaid_grade_level", version="v1")


def ari_grade_level() -> EvaluationMetric:
    """Automated readability index of the predictions (needs ``textstat``)."""
    return make_metric(eval_fn=_ari_eval_fn, greater_is_better=False, name="ari_grade_level",
                       long_name="automated_readability_index_grade_level", version="v1")


def exact_match() -> EvaluationMetric:
    """Share of predictions equal to their targets (sklearn's accuracy_score)."""
    return make_metric(eval_fn=_accuracy_eval_fn, greater_is_better=True, name="exact_match",
                       version="v1")


def rouge1() -> EvaluationMetric:
    """ROUGE-1 of predictions against targets (needs ``evaluate``, ``rouge_score``)."""
    return make_metric(eval_fn=_rouge_fn("rouge1"), greater_is_better=True, name="rouge1",
                       version="v1")


def rouge2() -> EvaluationMetric:
    """ROUGE-2 of predictions against targets (needs ``evaluate``, ``rouge_score``)."""
    return make_metric(eval_fn=_rouge_fn("rouge2"), greater_is_better=True, name="rouge2",
                       version="v1")


def rougeL() -> EvaluationMetric:
    """ROUGE-L of predictions against targets (needs ``evaluate``, ``rouge_score``)."""
    return make_metric(eval_fn=_rouge_fn("rougeL"), greater_is_better=True, name="rougeL",
                       version="v1")


def rougeLsum() -> EvaluationMetric:
    """ROUGE-Lsum of predictions against targets (needs ``evaluate``, ``rouge_score``)."""
    return make_metric(eval_fn=_rouge_fn("rougeLsum"), greater_is_better=True,
                       name="rougeLsum", version="v1")


def bleu() -> EvaluationMetric:
    """BLEU of predictions against targets (needs ``evaluate``)."""
    return make_metric(eval_fn=_bleu_eval_fn, greater_is_better=True, name="bleu", version="v1")


def precision_at_k(k) -> EvaluationMetric:
    """Per-row precision of the top ``k`` retrieved doc ids."""
    return make_metric(eval_fn=_precision_at_k_eval_fn(k), greater_is_better=True,
                       name=f"precision_at_{k}")


def recall_at_k(k) -> EvaluationMetric:
    """Per-row recall of the ground-truth doc ids within the top ``k`` retrieved."""
    return make_metric(eval_fn=_recall_at_k_eval_fn(k), greater_is_better=True,
                       name=f"recall_at_{k}")


def ndcg_at_k(k) -> EvaluationMetric:
    """Per-row NDCG@k of the retrieved doc ids with binary relevance."""
    return make_metric(eval_fn=_ndcg_at_k_eval_fn(k), greater_is_better=True,
                       name=f"ndcg_at_{k}")


def mae() -> EvaluationMetric:
    """Mean absolute error (regression)."""
    return make_metric(eval_fn=_mae_eval_fn, greater_is_better=False, name="mean_absolute_error")


def mse() -> EvaluationMetric:
    """Mean squared error (regression)."""
    return make_metric(eval_fn=_mse_eval_fn, greater_is_better=False, name="mean_squared_error")


def rmse() -> EvaluationMetric:
    """Root mean squared error (regression)."""
    return make_metric(eval_fn=_rmse_eval_fn, greater_is_better=False,
                       name="root_mean_squared_error")


def r2_score() -> EvaluationMetric:
    """Coefficient of determination (regression)."""
    return make_metric(eval_fn=_r2_score_eval_fn, greater_is_better=True, name="r2_score")


def max_error() -> EvaluationMetric:
    """Maximum residual error (regression)."""
    return make_metric(eval_fn=_max_error_eval_fn, greater_is_better=False, name="max_error")


def mape() -> EvaluationMetric:
    """Mean absolute percentage error (regression)."""
    return make_metric(eval_fn=_mape_eval_fn, greater_is_better=False,
                       name="mean_absolute_percentage_error")


def recall_score() -> EvaluationMetric:
    """Recall (classification)."""
    return make_metric(eval_fn=_recall_eval_fn, greater_is_better=True, name="recall_score")


def precision_score() -> EvaluationMetric:
    """Precision (classification)."""
    return make_metric(eval_fn=_precision_eval_fn, greater_is_better=True,
                       name="precision_score")


def f1_score() -> EvaluationMetric:
    """F1 score (classification)."""
    return make_metric(eval_fn=_f1_score_eval_fn, greater_is_better=True, name="f1_score")
