"""``json.dumps`` of the small flat dicts a dataset stores (its source, its profile),
character for character, in a fraction of the time.

``json.dumps`` sets up an encoder on every call, which costs more than encoding a
source's one URI: a ``log_inputs`` of a hundred datasets paid for that hundreds of
times.  Dicts of str keys and str or int values are written here; anything else goes to
``json.dumps`` itself.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _string  # json.dumps' own escaping


def dumps(obj) -> str:
    """``json.dumps(obj)`` (default separators, ASCII-escaped)."""
    if type(obj) is not dict:
        return json.dumps(obj)
    parts = []
    for key, value in obj.items():
        if type(key) is not str:
            return json.dumps(obj)
        kind = type(value)
        if kind is str:
            parts.append(f"{_string(key)}: {_string(value)}")
        elif kind is int:  # (not bool, not numpy's integers: json.dumps writes them otherwise)
            parts.append(f"{_string(key)}: {int.__repr__(value)}")
        else:
            return json.dumps(obj)
    return "{" + ", ".join(parts) + "}"


def int_list(values) -> str:
    """``json.dumps`` of a tuple or list of ints (a shape)."""
    return "[" + ", ".join(map(int.__repr__, values)) + "]"
