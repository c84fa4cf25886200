"""Oracle for tests/test_trace_search.py: runs under real mlflow 3.17.2 in a subprocess.

``python trace_search_oracle.py DB_PATH CASES_JSON OUT_JSON`` builds a tracking database
with traces written by real mlflow (tags, metadata, spans of several types, names and
statuses, feedback, expectations, issues, a prompt link, run links, sessions, ERROR
traces, a second experiment), then runs every case of CASES_JSON through mlflow's SQL
store ``search_traces`` and writes, per case, the trace ids and next page token or the
error code and message.  Trace ids are reported as their labels (``t0``, ``t1``, ...)
so that the cases can be written before the ids exist.
"""

from __future__ import annotations

import json
import os
import re
import sys

T0_MS = 1_700_000_000_000
MS = 1_000_000  # ns per ms


def build(db_path: str) -> dict:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import AssessmentSource

    uri = f"sqlite:///{db_path}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp = mlflow.set_experiment("tsearch")
    exp_id = exp.experiment_id
    other_exp = client.create_experiment("tsearch-other")
    labels: dict[str, str] = {}

    def trace(label, name, start_ms, duration_ms, *, status="OK", tags=None, metadata=None,
              children=(), inputs=None, outputs=None, experiment_id=None, attributes=None):
        root = mlflow.start_span_no_context(
            name, span_type="CHAIN", inputs=inputs or {"question": f"q-{label}"},
            tags=tags, metadata=metadata, experiment_id=experiment_id or exp_id,
            attributes=attributes, start_time_ns=(T0_MS + start_ms) * MS)
        for n, (cname, ctype, cstatus, cattrs) in enumerate(children):
            child = mlflow.start_span_no_context(
                cname, span_type=ctype, parent_span=root, attributes=cattrs,
                inputs={"x": n}, start_time_ns=(T0_MS + start_ms + n + 1) * MS)
            child.end(outputs={"y": n}, status=cstatus,
                      end_time_ns=(T0_MS + start_ms + n + 2) * MS)
        root.end(outputs=outputs if outputs is not None else {"answer": f"a-{label}"},
                 status=status, end_time_ns=(T0_MS + start_ms + duration_ms) * MS)
        labels[label] = root.trace_id
        return root.trace_id

    llm_attrs = {"model": "gpt-4o", "temperature": 0.2,
                 "mlflow.chat.tokenUsage": {"input_tokens": 10, "output_tokens": 5,
                                            "total_tokens": 15}}
    t0 = trace("t0", "chat_a", 0, 120, tags={"env": "prod", "team": "Alpha"},
               metadata={"user_tier": "gold"},
               children=[("llm_call", "LLM", "OK", llm_attrs),
                         ("search", "TOOL", "OK", {"query": "hello World"})])
    t1 = trace("t1", "chat_b", 1000, 50, status="ERROR", tags={"env": "dev"},
               metadata={"user_tier": "silver"},
               children=[("retrieve", "RETRIEVER", "ERROR", {"k": 3})])
    with mlflow.start_run() as run:
        t2 = trace("t2", "Chat_A", 2000, 10, tags={"env": "Prod", "my.key": "dotted"},
                   metadata={"mlflow.trace.session": "s1", "user_tier": "gold"},
                   children=[("llm_call", "LLM", "OK", {"model": "claude-3"})])
    labels["run"] = run.info.run_id
    t3 = trace("t3", "tool_only", 2000, 0, tags={"key with space": "v s"},
               metadata={"mlflow.trace.session": "s1"},
               children=[("Search", "TOOL", "OK", {"query": "HELLO"})])
    t4 = trace("t4", "weird name%_", 3000, 1500, tags={"env": "prod_1"},
               children=[("parse", "PARSER", "OK", None)])
    linked_run = client.create_run(exp_id)
    client.link_traces_to_run([t4, t1], linked_run.info.run_id)
    labels["linked_run"] = linked_run.info.run_id
    t5 = trace("t5", "no_tags", 4000, 7, outputs="plain text",
               metadata={"mlflow.trace.session": "s2", "mlflow.trace.tokenUsage": json.dumps(
                   {"input_tokens": 1, "output_tokens": 2, "total_tokens": 3})})
    t6 = trace("t6", "expect", 5000, 300, tags={"env": "staging"},
               metadata={"mlflow.trace.cost": json.dumps(
                   {"input_cost": 0.5, "output_cost": 0.25, "total_cost": 0.75})},
               children=[("emb", "EMBEDDING", "OK", {"model": "text-embedding"})])
    t7 = trace("t7", "elsewhere", 5000, 5, experiment_id=other_exp, tags={"env": "prod"},
               children=[("llm_call", "LLM", "OK", {"model": "gpt-4o"})])
    labels["other_exp"] = other_exp
    # a bulk of small traces for paging, with ties on timestamp_ms
    for n in range(12):
        trace(f"p{n}", f"page_{n % 4}", 10_000 + (n // 3) * 100, n * 3,
              tags={"bulk": "yes", "parity": "even" if n % 2 == 0 else "odd"},
              status="ERROR" if n % 5 == 0 else "OK")

    # one trace through the fluent API: a client request id (its timestamp is now)
    with mlflow.start_span("fluent_root", span_type="AGENT") as span:
        mlflow.update_current_trace(client_request_id="req-8", tags={"env": "prod"})
        with mlflow.start_span("inner", span_type="LLM"):
            pass
    labels["t8"] = span.trace_id
    mlflow.flush_trace_async_logging()

    human = AssessmentSource(source_type="HUMAN", source_id="alice")
    mlflow.log_feedback(trace_id=t0, name="relevance", value=0.9, source=human)
    mlflow.log_feedback(trace_id=t0, name="strfb", value="yes")
    mlflow.log_feedback(trace_id=t0, name="count", value=3)
    old = mlflow.log_feedback(trace_id=t1, name="relevance", value=0.8)
    mlflow.override_feedback(trace_id=t1, assessment_id=old.assessment_id, value=0.3)
    mlflow.log_feedback(trace_id=t1, name="strfb", value="No")
    mlflow.log_feedback(trace_id=t2, name="ok", value=True)
    mlflow.log_feedback(trace_id=t3, name="session_fb", value="great",
                        metadata={"mlflow.trace.session": "s1"})
    mlflow.log_feedback(trace_id=t5, name="errfb",
                        error=mlflow.entities.AssessmentError(error_code="E1",
                                                              error_message="judge failed"))
    mlflow.log_feedback(trace_id=t5, name="ok", value=False)
    mlflow.log_expectation(trace_id=t1, name="exp_str", value="four")
    mlflow.log_expectation(trace_id=t6, name="exp_dict", value={"answer": "four"})
    mlflow.log_expectation(trace_id=t6, name="exp_num", value=42)
    issue = client._tracking_client.store.create_issue(exp_id, "hallucination", "made up")
    labels["issue"] = issue.issue_id
    mlflow.log_issue(trace_id=t6, issue_id=issue.issue_id)
    mlflow.log_feedback(trace_id=labels["t7"], name="relevance", value=0.95)
    client.set_trace_tag(t5, "late", "x")
    try:
        prompt = mlflow.genai.register_prompt(name="qa", template="Answer {{q}}")
        client.link_prompt_versions_to_trace([prompt], t3)
    except Exception as exc:  # pragma: no cover - report, the prompt cases will show it
        print("prompt link failed:", exc, file=sys.stderr)
    return {"labels": labels, "experiment_id": exp_id}


def run_cases(db_path: str, cases: list, info: dict) -> list:
    from mlflow.exceptions import MlflowException
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{db_path}", os.path.dirname(db_path))
    by_id = {v: k for k, v in info["labels"].items()}
    out = []
    for case in cases:
        try:
            infos, token = store.search_traces(
                locations=case.get("locations") or [info["experiment_id"]],
                filter_string=case.get("filter"), order_by=case.get("order_by"),
                max_results=case.get("max_results", 100), page_token=case.get("page_token"))
            out.append({"ids": [by_id.get(t.trace_id, t.trace_id) for t in infos],
                        "token": token.decode() if isinstance(token, bytes) else token})
        except MlflowException as exc:
            out.append({"error": exc.error_code, "message": exc.message})
        except Exception as exc:
            out.append({"error": type(exc).__name__, "message": str(exc)})
    return out


def fill(text: str, labels: dict) -> str:
    return re.sub(r"@(\w+)@", lambda m: labels[m.group(1)], text)


def main() -> None:
    db_path, cases_path, out_path = sys.argv[1:4]
    info = build(db_path)
    with open(cases_path) as f:
        cases = json.load(f)
    for case in cases:  # @label@ placeholders for ids only known after the build
        for field in ("filter", "locations"):
            value = case.get(field)
            if isinstance(value, str):
                case[field] = fill(value, info["labels"])
            elif isinstance(value, list):
                case[field] = [fill(v, info["labels"]) for v in value]
    results = run_cases(db_path, cases, info)
    with open(out_path, "w") as f:
        json.dump({"info": info, "cases": cases, "results": results}, f)


if __name__ == "__main__":
    main()
