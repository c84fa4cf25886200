"""search_traces' filter / order_by grammar on SQLite, against real MLflow 3.17.2.

Real mlflow builds one tracking database (``trace_search_oracle.py``, in a subprocess:
traces with tags, metadata, sessions, token usage and cost, spans of several types,
names and statuses, feedback, expectations, an issue, a prompt link, run links, ERROR
traces, a second experiment) and answers every case below through its SQL store's
``search_traces``.  The same cases then go through ``search_trace_ids`` on a plain
sqlite3 connection to that file: the same trace ids in the same order and the same next
page token, or the same error code and message (Python-set reprs compared sorted).

A second, in-process set compares the parsed form of filter strings with MLflow's own
``SearchTraceUtils`` (importorskip: real mlflow is a test dependency).
"""

from __future__ import annotations

import base64
import json
import os
import pathlib
import re
import sqlite3
import subprocess
import sys

import pytest

from aiomlflow.exceptions import MlflowException
from conftest import fresh_store
from aiomlflow.sdk.search import traces as grammar
from aiomlflow.searches import TraceSearch
from aiomlflow.transports.sqlite.trace_search import search_trace_ids

HERE = pathlib.Path(__file__).parent


def token(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


# @label@ stands for the id of what the oracle built under that label
CASES: list[dict] = [
    # ---------------------------------------------------------------- attributes
    {},
    {"filter": "trace.status = 'OK'"},
    {"filter": "status != 'OK'"},
    {"filter": "attributes.status IN ('ERROR')"},
    {"filter": "trace.status NOT IN ('OK')"},
    {"filter": "status not in ('OK', 'ERROR')"},
    {"filter": "status LIKE 'ER%'"},
    {"filter": "status LIKE 'er%'"},
    {"filter": "status ILIKE 'er%'"},
    {"filter": "status like 'OK'"},
    {"filter": "status RLIKE 'R{2}'"},
    {"filter": "status RLIKE '('"},
    {"filter": "attribute.status = \"OK\""},
    {"filter": "`status` = 'ERROR'"},
    {"filter": "trace.request_id = '@t0@'"},
    {"filter": "request_id IN ('@t0@', '@t1@', '@t7@')"},
    {"filter": "request_id NOT IN ('@t0@')"},
    {"filter": "request_id LIKE 'tr-%'"},
    {"filter": "trace.client_request_id = 'req-8'"},
    {"filter": "client_request_id != 'req-8'"},
    {"filter": "client_request_id IN ('req-8', 'x')"},
    {"filter": "client_request_id RLIKE '^req'"},
    {"filter": "timestamp_ms > 1700000002000"},
    {"filter": "timestamp_ms >= 1700000002000"},
    {"filter": "trace.timestamp_ms < 1700000002000"},
    {"filter": "timestamp_ms <= 1700000002000"},
    {"filter": "timestamp_ms = 1700000002000"},
    {"filter": "timestamp_ms != 1700000002000"},
    {"filter": "timestamp > 1700000010100"},
    {"filter": "timestamp >= 1700000010100 AND status = 'OK'"},
    {"filter": "trace.timestamp < 1700000001000.5"},
    {"filter": "execution_time_ms > 100"},
    {"filter": "execution_time < 10"},
    {"filter": "trace.execution_time_ms >= 50.5"},
    {"filter": "end_time_ms > 1700000003000"},
    {"filter": "end_time <= 1700000002010"},
    {"filter": "timestamp_ms = '1700000002000'"},
    {"filter": "end_time < '5'"},
    {"filter": "timestamp_ms > 1700000004000 AND span.type = 'LLM'"},
    {"filter": "timestamp_ms > 1700000012000 AND span.type = 'CHAIN'"},
    # ---------------------------------------------------------------- trace name
    {"filter": "trace.name = 'chat_a'"},
    {"filter": "name != 'chat_a'"},
    {"filter": "name LIKE 'chat%'"},
    {"filter": "name LIKE 'Chat%'"},
    {"filter": "name ILIKE 'chat_a'"},
    {"filter": "name RLIKE '^page_[02]$'"},
    {"filter": "name = 'weird name%_'"},
    {"filter": "tag.mlflow.traceName = 'expect'"},
    {"filter": "tag.`mlflow.traceName` IS NOT NULL"},
    {"filter": "name IS NULL"},
    {"filter": "tag.name = 'chat_b'"},
    {"filter": "feedback.Name = 'chat_b'"},
    {"filter": "issue.name = 'expect'"},
    # ---------------------------------------------------------------- tags
    {"filter": "tag.env = 'prod'"},
    {"filter": "tags.env != 'prod'"},
    {"filter": "tag.env LIKE 'prod%'"},
    {"filter": "tag.env ILIKE 'prod'"},
    {"filter": "tag.env RLIKE '^(dev|staging)$'"},
    {"filter": "tag.env IS NULL"},
    {"filter": "tag.env is not null"},
    {"filter": "tag.`my.key` = 'dotted'"},
    {"filter": "tag.`key with space` = \"v s\""},
    {"filter": "tag.\"key with space\" = 'v s'"},
    {"filter": "tag.late = 'x'"},
    {"filter": "tag.env = 'prod' AND tag.team = 'Alpha'"},
    {"filter": "tag.bulk = 'yes' AND tag.parity = 'odd'", "order_by": ["name"]},
    {"filter": "tag.mlflow.trace.spansLocation = 'TRACKING_STORE'", "max_results": 4},
    # ---------------------------------------------------------------- metadata
    {"filter": "metadata.user_tier = 'gold'"},
    {"filter": "request_metadata.user_tier != 'gold'"},
    {"filter": "metadata.user_tier LIKE 'g%'"},
    {"filter": "metadata.user_tier IS NULL"},
    {"filter": "metadata.user_tier IS NOT NULL"},
    {"filter": "metadata.mlflow.trace.session = 's1'"},
    {"filter": "metadata.`mlflow.trace.session` IS NOT NULL"},
    {"filter": "metadata.mlflow.trace.session IS NULL"},
    {"filter": "metadata.mlflow.trace.session ILIKE 'S%'"},
    {"filter": "metadata.mlflow.trace.tokenUsage = "
               "'{\"input_tokens\": 10, \"output_tokens\": 5, \"total_tokens\": 15}'"},
    {"filter": "metadata.mlflow.trace.tokenUsage != "
               "'{\"input_tokens\": 10, \"output_tokens\": 5, \"total_tokens\": 15}'"},
    {"filter": "metadata.mlflow.trace.tokenUsage = '{\"total_tokens\": 15}'"},
    {"filter": "metadata.mlflow.trace.tokenUsage IS NOT NULL"},
    {"filter": "metadata.mlflow.trace.tokenUsage IS NULL"},
    {"filter": "metadata.mlflow.trace.cost = "
               "'{\"input_cost\": 0.5, \"output_cost\": 0.25, \"total_cost\": 0.75}'"},
    {"filter": "metadata.mlflow.trace.cost != 'nonsense'"},
    {"filter": "metadata.mlflow.trace.tokenUsage LIKE '%'"},
    {"filter": "metadata.mlflow.trace.cost RLIKE 'x'"},
    # ---------------------------------------------------------------- runs and prompts
    {"filter": "run_id = '@run@'"},
    {"filter": "trace.run_id = '@linked_run@'"},
    {"filter": "metadata.mlflow.sourceRun = '@run@'"},
    {"filter": "run_id != '@run@'"},
    {"filter": "run_id LIKE '%'"},
    {"filter": "run_id IS NULL", "max_results": 3},
    {"filter": "run_id = ''", "max_results": 2},
    {"filter": "run_id = '@run@' AND run_id = '@linked_run@'"},
    {"filter": "run_id IN ('@run@')"},
    {"filter": "prompt = 'qa/1'"},
    {"filter": "prompt = 'qa/2'"},
    {"filter": "prompt = 'qa'"},
    {"filter": "prompt LIKE 'qa%'"},
    # ---------------------------------------------------------------- spans
    {"filter": "span.name = 'llm_call'"},
    {"filter": "span.name != 'llm_call'"},
    {"filter": "span.name IN ('search', 'retrieve')"},
    {"filter": "span.name NOT IN ('llm_call', 'chat_a')"},
    {"filter": "span.name LIKE 'Search'"},
    {"filter": "span.name ILIKE 'search'"},
    {"filter": "span.name RLIKE '^[Ss]earch$'"},
    {"filter": "span.type = 'LLM'"},
    {"filter": "span.type IN ('TOOL', 'RETRIEVER')"},
    {"filter": "span.status = 'ERROR'"},
    {"filter": "span.type = 'LLM' AND span.name = 'llm_call'"},
    {"filter": "span.type = 'TOOL' AND span.name = 'llm_call'"},
    {"filter": "span.attributes.model LIKE '%gpt%'"},
    {"filter": "span.attributes.model ILIKE '%GPT%'"},
    {"filter": "span.attributes.model RLIKE 'gpt'"},
    {"filter": "span.attributes.model RLIKE '^gpt-4o$'"},
    {"filter": "span.attributes.model RLIKE '^claude'"},
    {"filter": "span.attributes.model = 'gpt-4o'"},
    {"filter": "span.attributes.model != 'gpt-4o'"},
    {"filter": "span.attributes.model IN ('gpt-4o')"},
    {"filter": "span.attributes.`mlflow.spanType` LIKE '%LLM%'"},
    {"filter": "span.attributes.query RLIKE 'hello'"},
    {"filter": "span.content LIKE '%hello World%'"},
    {"filter": "trace.text ILIKE '%hello%'"},
    {"filter": "trace.text LIKE '%HELLO%' AND span.name = 'Search'"},
    {"filter": "span.content = 'x'"},
    {"filter": "span.foo = 'x'"},
    {"filter": "span.name IS NULL"},
    {"filter": "span.name like 'x'"},
    {"filter": "trace.text = 'x'"},
    # ---------------------------------------------------------------- assessments
    {"filter": "feedback.relevance > 0.5"},
    {"filter": "feedback.relevance < 0.5"},
    {"filter": "feedback.relevance >= 0.3"},
    {"filter": "feedback.relevance <= 0.9"},
    {"filter": "feedback.relevance = '0.9'"},
    {"filter": "feedback.relevance != '0.9'"},
    {"filter": "feedback.relevance = '0.8'"},
    {"filter": "feedback.strfb = 'yes'"},
    {"filter": "feedback.strfb ILIKE '%NO%'"},
    {"filter": "feedback.strfb LIKE '\"y%'"},
    {"filter": "feedback.strfb RLIKE 'es'"},
    {"filter": "feedback.ok = 'true'"},
    {"filter": "feedback.ok = 'false'"},
    {"filter": "feedback.count > 2"},
    {"filter": "feedback.count = '3'"},
    {"filter": "feedback.errfb IS NOT NULL"},
    {"filter": "feedback.errfb IS NULL"},
    {"filter": "feedback.session_fb = 'great'"},
    {"filter": "feedback.session_fb IS NOT NULL"},
    {"filter": "feedback.session_fb IS NULL"},
    {"filter": "expectation.exp_str = 'four'"},
    {"filter": "expectation.exp_dict = '{\"answer\": \"four\"}'"},
    {"filter": "expectation.exp_num > 40"},
    {"filter": "expectation.exp_num = '42'"},
    {"filter": "feedback.`relevance` > 0.1"},
    {"filter": "feedback.relevance > 0.5", "locations": ["@other_exp@", "1"]},
    {"filter": "issue.id = '@issue@'"},
    {"filter": "issue.id = 'nope'"},
    # ---------------------------------------------------------------- combinations
    {"filter": "tag.env = 'prod' AND span.type = 'LLM' AND feedback.relevance > 0.5"},
    {"filter": "status = 'OK' AND name LIKE 'page%' AND execution_time_ms > 10"},
    {"filter": "tag.env = 'prod'", "locations": ["1", "@other_exp@"],
     "order_by": ["experiment_id DESC"]},
    # ---------------------------------------------------------------- order_by
    {"order_by": ["timestamp_ms ASC"]},
    {"order_by": ["name"]},
    {"order_by": ["name DESC"]},
    {"order_by": ["execution_time_ms DESC"]},
    {"order_by": ["execution_time ASC", "name"]},
    {"order_by": ["status", "request_id DESC"]},
    {"order_by": ["tag.env"]},
    {"order_by": ["tag.env DESC"]},
    {"order_by": ["metadata.user_tier DESC", "name"]},
    {"order_by": ["metadata.mlflow.trace.session"]},
    {"order_by": ["run_id"]},
    {"order_by": ["request_id"]},
    {"order_by": ["timestamp"]},
    {"order_by": ["timestamp DESC"]},
    {"order_by": ["trace.timestamp asc", "tag.parity"]},
    {"order_by": ["tag.mlflow.traceName DESC"]},
    {"order_by": ["tag.`my.key` DESC"]},
    {"order_by": ["metadata.mlflow.trace.tokenUsage"]},
    {"order_by": ["metadata.mlflow.trace.cost DESC"]},
    {"order_by": ["name", "tag.mlflow.traceName"]},
    {"order_by": ["timestamp_ms", "timestamp DESC"]},
    {"order_by": ["span.name"]},
    {"order_by": ["feedback.relevance"]},
    {"order_by": ["client_request_id"]},
    {"order_by": ["name sideways"]},
    {"order_by": ["tag.env ASC DESC"]},
    {"order_by": ["foo.bar"]},
    {"order_by": ["text"]},
    {"order_by": ["end_time DESC"]},
    {"order_by": ["timestamp foo"]},
    {"order_by": ["tag.text"]},
    {"order_by": ["span.name"], "filter": "bogus = 'x'"},
    # ---------------------------------------------------------------- paging
    {"max_results": 5},
    {"max_results": 5, "page_token": token(5)},
    {"max_results": 5, "page_token": token(15)},
    {"max_results": 5, "page_token": token(18)},
    {"max_results": 20},
    {"max_results": 21},
    {"max_results": 3, "filter": "tag.bulk = 'yes'", "order_by": ["name"],
     "page_token": token(3)},
    {"max_results": 50000, "filter": "status = 'ERROR'"},
    {"max_results": 0},
    {"max_results": 50001},
    {"max_results": 5, "page_token": "abc"},
    {"max_results": 5, "page_token": token(0)},
    {"max_results": 5, "page_token": base64.b64encode(b"nope").decode()},
    # ---------------------------------------------------------------- bad filters
    {"filter": "tag.env IN ('prod')"},
    {"filter": "name IN ('chat_a')"},
    {"filter": "name NOT IN ('chat_a')"},
    {"filter": "status > 'x'"},
    {"filter": "timestamp_ms LIKE '1%'"},
    {"filter": "status = 5"},
    {"filter": "timestamp_ms IN ('1')"},
    {"filter": "foo = 'x'"},
    {"filter": "bogus.x = 'y'"},
    {"filter": "status = OK"},
    {"filter": "tag.env = 5"},
    {"filter": "metadata.x = 5"},
    {"filter": "metadata.x IN ('a')"},
    {"filter": "feedback.relevance > 'x'"},
    {"filter": "feedback.relevance = 5"},
    {"filter": "feedback.relevance IN ('a')"},
    {"filter": "feedback.x NOT LIKE 'a'"},
    {"filter": "issue.id != 'x'"},
    {"filter": "issue.foo = 'x'"},
    {"filter": "status = 'OK' OR status = 'ERROR'"},
    {"filter": "status = 'OK' AND"},
    {"filter": "(status = 'OK')"},
    {"filter": "status = 'OK'; tag.a = 'b'"},
    {"filter": "span.attributes. = 'x'"},
    {"filter": "tag.x IS 'a'"},
    {"filter": "execution_time_ms > 1 + 2"},
    {"filter": "status IN ()"},
    {"filter": "status IN (1, 2)"},
    {"filter": "name = 'x' AND timestamp"},
    {"filter": "timestamp = 'a' AND status = 'OK'"},
    {"filter": "text LIKE '%a%'"},
    {"filter": "'OK' = status"},
    {"filter": "tag.env = 'prod' AND status"},
    {"filter": "status = 'OK' tag.env = 'prod'"},
    {"filter": "feedback. = 'x'"},
    {"filter": "status = ('OK', 'ERROR')"},
    {"filter": "status IN (OK)"},
]

# cases whose MLflow message cannot be reproduced word for word (it embeds the SQL
# statement or a memory address): same error code, and this prefix of the message
LOOSE = {
    "status = ('OK', 'ERROR')": "(sqlite3.ProgrammingError) Error binding parameter",
    "status IN (OK)": "malformed node or string on line 1: <ast.Name object at",
}


def _case_id(case: dict) -> str:
    return json.dumps(case, sort_keys=True)


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    pytest.importorskip("mlflow")
    tmp = tmp_path_factory.mktemp("trace_search")
    db_path = tmp / "mlflow.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp)
        fresh_store(db_path)  # (real mlflow creating it runs its migrations: seconds)
    (tmp / "cases.json").write_text(json.dumps(CASES))
    env = dict(os.environ, MLFLOW_TRACKING_URI=f"sqlite:///{db_path}", PYTHONHASHSEED="0")
    env.pop("MLFLOW_EXPERIMENT_ID", None)
    env.pop("MLFLOW_EXPERIMENT_NAME", None)
    done = subprocess.run(
        [sys.executable, str(HERE / "trace_search_oracle.py"), str(db_path),
         str(tmp / "cases.json"), str(tmp / "out.json")],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads((tmp / "out.json").read_text())
    db = sqlite3.connect(db_path)
    yield {"db": db, **out}
    db.close()


_SET = re.compile(r"\{('[^']*'(?:, '[^']*')*)\}")


def _normalise(message: str) -> str:
    """Python-set reprs (hash-ordered in MLflow's messages) with sorted items."""
    return _SET.sub(lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", message)


def _ours(oracle, case: dict) -> dict:
    labels = oracle["info"]["labels"]
    ids = case.get("locations") or [oracle["info"]["experiment_id"]]
    query = TraceSearch(
        experiment_ids=tuple(ids), filter_string=case.get("filter"),
        max_results=case.get("max_results", 100), order_by=tuple(case.get("order_by") or ()),
        page_token=case.get("page_token"))
    by_id = {v: k for k, v in labels.items()}
    try:
        found, next_token = search_trace_ids(oracle["db"], query)
    except MlflowException as exc:
        return {"error": exc.error_code, "message": exc.message}
    return {"ids": [by_id.get(i, i) for i in found],
            "token": next_token.decode() if isinstance(next_token, bytes) else next_token}


@pytest.mark.parametrize("index", range(len(CASES)), ids=[_case_id(c) for c in CASES])
def test_search_trace_ids_as_mlflow(oracle, index):
    case = oracle["cases"][index]  # placeholders filled in
    theirs = oracle["results"][index]
    ours = _ours(oracle, case)
    if "error" in theirs:
        assert ours.get("error") == theirs["error"], (ours, theirs)
        prefix = LOOSE.get(CASES[index].get("filter"))
        if prefix is not None:
            assert theirs["message"].startswith(prefix) and ours["message"].startswith(prefix)
        else:
            assert _normalise(ours["message"]) == _normalise(theirs["message"])
    else:
        assert ours == theirs


def test_cases_cover_what_the_brief_asks(oracle):
    results = oracle["results"]
    answered = [r for r in results if "ids" in r]
    assert len(answered) >= 60
    assert sum(1 for r in answered if r["ids"]) >= 60           # most select something
    assert any(r.get("token") for r in answered)                 # full pages
    assert sum(1 for r in results if "error" in r) >= 30
    # every comparator is exercised
    text = " ".join(c.get("filter") or "" for c in CASES).upper()
    for op in (" = ", " != ", " < ", " <= ", " > ", " >= ", " IN ", " NOT IN ", " LIKE ",
               " ILIKE ", " RLIKE ", " IS NULL", " IS NOT NULL"):
        assert op in text, op


def test_like_is_case_sensitive_and_ilike_is_not(oracle):
    """MLflow's SQLite sessions run ``PRAGMA case_sensitive_like``: so does trace search,
    on any connection it is given."""
    base = {"experiment_ids": (oracle["info"]["experiment_id"],), "max_results": 100,
            "order_by": ()}
    db = oracle["db"]
    db.execute("PRAGMA case_sensitive_like = false")
    like, _ = search_trace_ids(db, TraceSearch(filter_string="name LIKE 'CHAT%'", **base))
    ilike, _ = search_trace_ids(db, TraceSearch(filter_string="name ILIKE 'CHAT%'", **base))
    assert like == [] and len(ilike) == 3


def test_sql_is_parameterised(oracle):
    """Values never reach the SQL text, whatever quotes they contain."""
    from aiomlflow.transports.sqlite.trace_search import trace_page_sql

    evil = "x' OR 1=1 --"
    sql, args, _ = trace_page_sql(TraceSearch(
        experiment_ids=("1",), filter_string=f'tag.env = "{evil}" AND span.name = "{evil}"',
        max_results=10, order_by=("tag.`a'b`",)))
    assert evil not in sql and "a'b" not in sql
    assert evil in args and "a'b" in args
    assert search_trace_ids(oracle["db"], TraceSearch(
        experiment_ids=("1",), filter_string=f'tag.env = "{evil}"', max_results=10,
        order_by=())) == ([], None)


# --------------------------------------------------------------------------- parser

PARSE_FILTERS = [
    "trace.status = 'OK'",
    "status='OK'",
    "attributes.status IN ('a', \"b\")",
    "status in ('a')",
    "status NOT IN ('a')",
    "status not  in ('a')",
    "trace.name = 'x'",
    "name = 'x'",
    "NAME = 'x'",
    "tag.Name = 'x'",
    "tag.PROMPT = 'a/1'",
    "metadata.RUN_ID = 'x'",
    "tag.text LIKE 'x'",
    "feedback.timestamp = 'x'",
    "tag.timestamp = 'x'",
    "span.name = 'x'",
    "span.NAME = 'x'",
    "span.text = 'x'",
    "span.attributes.a.b = 'x'",
    "span.attributes.`a.b` RLIKE 'x'",
    "span.attributes. = 'x'",
    "span.type IN ('A', 'B')",
    "span.status NOT IN ('OK')",
    "span.name in ('x')",
    "span.content ILIKE '%x%'",
    "timestamp > 5",
    "timestamp >= -5",
    "timestamp > 5.5",
    "timestamp LIKE 5",
    "timestamp >",
    "timestamp IS NULL",
    "TIMESTAMP > 5",
    "timestamp_ms > 5",
    "timestamp_ms > 5.5",
    "timestamp_ms > 1e3",
    "timestamp_ms > '5'",
    "execution_time = 7",
    "end_time != 7",
    "trace.end_time_ms < .5",
    "status = 5",
    "run_id = 5",
    "text = 'x'",
    "trace.text = 'x'",
    "int = 'x'",
    "date > 5",
    "tag.date = 'x'",
    "date.x = 'x'",
    "tag.x = 'a' AND text LIKE 'b' AND tag.y = 'c'",
    "tag.x IS NULL",
    "tag.x is null",
    "tag.x IS NOT NULL",
    "tag.x IS  NOT  NULL",
    "tag.x IS NOT 'a'",
    "tag.x = NULL",
    "tag.x IN ('a')",
    "tag.x = 'a' AND tag.y IS NULL AND metadata.z IS NOT NULL",
    "tags.x = 'a'",
    "`tags`.x = 'a'",
    "tags.`x y` = 'a'",
    "tags.'x y' = 'a'",
    "tags.\"x y\" = 'a'",
    "metadata.x = 'a'",
    "request_metadata.x = \"a\"",
    "metadata.x = a",
    "metadata.x = `a`",
    "metadata.x IN ('a')",
    "feedback.x = 'a'",
    "feedback.x > 1",
    "feedback.x >= -1.5",
    "feedback.x > 'a'",
    "feedback.x = 1",
    "feedback.x LIKE 1",
    "feedback.x IN ('a')",
    "feedback.x IS NULL",
    "feedback.`x y` = 'a'",
    "expectation.x != 'a'",
    "issue.id = 'a'",
    "issue.id = 1",
    "issue.id IN ('a')",
    "assessment.x = 'a'",
    "metrics.x > 1",
    "x.y.z = 'a'",
    "foo = 'a'",
    "client_request_id = 'a'",
    "request_id IN ('a', 'b')",
    "prompt IN ('a/1')",
    "prompt = 'a/1'",
    "status = 'a' OR status = 'b'",
    "status = 'a' AND",
    "AND status = 'a'",
    "status = 'a' AND AND status = 'b'",
    "status = 'a' status = 'b'",
    "(status = 'a')",
    "status = 'a';",
    "status = 'a'; status = 'b'",
    "status",
    "status =",
    "= 'a'",
    "'a' = status",
    "5 = 5",
    "status IN ()",
    "status IN (1)",
    "status IN ('a', 1)",
    "status IN ('a',)",
    "status = ('a')",
    "tag.x = ('a', 'b')",
    "status IN 'a'",
    "status NOT LIKE 'a'",
    "tag.x NOT ILIKE 'a'",
    "status REGEXP 'a'",
    "status == 'a'",
    "status <> 'a'",
    "execution_time_ms > 1 + 2",
    "tag.x = 'a' AND y",
    "   ",
    "",
]


def _mlflow_parse(filter_string):
    from mlflow.exceptions import MlflowException as TheirError
    from mlflow.utils.search_utils import SearchTraceUtils

    try:
        parsed = SearchTraceUtils.parse_search_filter_for_search_traces(filter_string)
    except TheirError as exc:
        return ("error", exc.error_code, _normalise(exc.message))
    except Exception as exc:  # MLflow lets some through; we raise an internal error
        return ("error", "INTERNAL_ERROR", type(exc).__name__)
    return [(p["type"], p["key"], p["comparator"], p["value"]) for p in parsed]


def _our_parse(filter_string):
    try:
        parsed = grammar.parse_trace_filter(filter_string)
    except MlflowException as exc:
        if exc.error_code == "INTERNAL_ERROR":
            return ("error", "INTERNAL_ERROR", "ValueError")
        return ("error", exc.error_code, _normalise(exc.message))
    return [(c.kind, c.key, c.comparator, c.value) for c in parsed]


@pytest.mark.parametrize("filter_string", PARSE_FILTERS)
def test_filter_parses_as_mlflow(filter_string):
    pytest.importorskip("mlflow")
    assert _our_parse(filter_string) == _mlflow_parse(filter_string)


PARSE_ORDER_BY = [
    "name", "name ASC", "name desc", "name  DESC", "timestamp", "timestamp DESC",
    "timestamp  asc", "timestamp foo", "TIMESTAMP", "text", "text DESC", "date",
    "trace.timestamp_ms", "attributes.status", "tag.x", "tags.`x y` DESC", "metadata.x",
    "request_metadata.x asc", "run_id", "span.name", "feedback.x", "issue.id",
    "client_request_id", "tag.env ASC DESC", "name sideways", "foo.bar", "", " ",
    "name,", "name, status", "tag.NAME", "metadata.RUN_ID DESC",
]


def _mlflow_order(clause):
    from mlflow.exceptions import MlflowException as TheirError
    from mlflow.utils.search_utils import SearchTraceUtils

    try:
        return SearchTraceUtils.parse_order_by_for_search_traces(clause)
    except TheirError as exc:
        return ("error", exc.error_code, _normalise(exc.message))


def _our_order(clause):
    """Our order_by parse up to what MLflow's parse covers (no store checks)."""
    try:
        text, ascending = grammar._order_by_clause(clause)
        kind, key = grammar.resolve_key(*grammar._identifier(text.strip(),
                                                             grammar.ORDER_ATTRIBUTES))
    except MlflowException as exc:
        return ("error", exc.error_code, _normalise(exc.message))
    return (kind, key, ascending)


@pytest.mark.parametrize("clause", PARSE_ORDER_BY)
def test_order_by_parses_as_mlflow(clause):
    pytest.importorskip("mlflow")
    assert _our_order(clause) == _mlflow_order(clause)
