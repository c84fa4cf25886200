"""Tokenizer for MLflow's filter strings and order_by clauses.

MLflow reads these strings with a general-purpose SQL lexer; the lexical rules below are
the ones that decide what a filter means there (numbers, quoted strings, backticked
names, comparison operators, ``NOT NULL`` / ``NOT LIKE`` as single words), so the same
strings are accepted and rejected.  Whitespace is kept as tokens: an identifier's parts
may not be separated by whitespace, and order_by clauses care where it is.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Token(NamedTuple):
    kind: str   # see _RULES; "ws" for whitespace
    text: str
    pos: int


# Ordered: the first rule that matches at a position wins.
_RULES: list[tuple[str, str]] = [
    ("ws", r"\s+"),
    ("bquote", r"`(?:``|[^`])*`"),
    # words the SQL lexer always treats as keywords, even after a dot
    ("reserved", r"(?:CASE|IN|VALUES|USING|FROM|AS)\b"),
    # a word right before or after a dot is a name, even a comparator's word
    # ("metrics.like", "params.not LIKE ...")
    ("name", r"[A-ZÀ-Ü]\w*(?=\s*\.)"),
    ("name", r"(?<=\.)[A-ZÀ-Ü]\w*"),
    ("hex", r"-?0x[0-9A-F]+"),
    ("float", r"-?\d+(?:\.\d+)?E-?\d+"),
    ("float", r"-?(?:\d+\.\d*|\.\d+)(?![_A-ZÀ-Ü])"),
    ("int", r"-?\d+(?![_A-ZÀ-Ü])"),
    ("sq", r"'(?:''|\\'|[^'])*'"),
    ("dq", r'"(?:""|\\"|[^"])*"'),
    ("notnull", r"NOT\s+NULL\b"),
    ("cmp", r"(?:NOT\s+)?(?:LIKE|ILIKE|RLIKE)\b"),
    ("cmp", r"(?:NOT\s+)?REGEXP(?:\s+BINARY)?\b"),
    ("name", r"\w[$#\w]*"),
    ("lparen", r"\("),
    ("rparen", r"\)"),
    ("comma", r","),
    ("dot", r"\."),
    ("semi", r";"),
    ("punct", r"[:\[\]]"),
    ("arith", r"->>?|#>>?|@>|<@|-"),
    ("cmp", r"[<>=~!]+"),
    ("arith", r"[+/@#%^&|*-]+"),
]
_MASTER = re.compile(
    "|".join(f"(?P<r{i}>{pattern})" for i, (_, pattern) in enumerate(_RULES)),
    re.IGNORECASE | re.UNICODE,
)
_KINDS = [kind for kind, _ in _RULES]


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; characters no rule knows become ``other`` tokens."""
    tokens: list[Token] = []
    pos, end = 0, len(text)
    match = _MASTER.match
    while pos < end:
        m = match(text, pos)
        if m is None or m.end() == pos:
            tokens.append(Token("other", text[pos], pos))
            pos += 1
            continue
        kind = _KINDS[int(m.lastgroup[1:])]
        tokens.append(Token(kind, m.group(), pos))
        pos = m.end()
    return tokens
