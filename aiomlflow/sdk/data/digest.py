"""Dataset digests, equal to MLflow 3.17.2's for the same data.

MLflow's digest is the first 8 hex digits of an md5 over: the 64-bit hashes pandas gives
to the first 10,000 values (flattened arrays) or rows (DataFrames), the full shape or row
count as int64, and for a DataFrame its column names.  Numbers are hashed here with
numpy alone (the same bit mixing pandas applies), so ``from_numpy`` on numeric data never
imports pandas; other data (strings, objects) and floats holding NaN or -0.0 (whose
treatment changed between pandas versions) go through the installed pandas, which is
what MLflow uses too.
"""

from __future__ import annotations

import hashlib

import numpy as np

from ...exceptions import INVALID_PARAMETER_VALUE, MlflowException

MAX_ROWS = 10000

_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)


def _mix(vals: np.ndarray) -> np.ndarray:
    """Spread 64-bit integers over the 64-bit space (pandas' final hashing step)."""
    vals ^= vals >> np.uint64(30)
    vals *= _MIX_1
    vals ^= vals >> np.uint64(27)
    vals *= _MIX_2
    vals ^= vals >> np.uint64(31)
    return vals


def _hash_numbers(vals: np.ndarray) -> np.ndarray | None:
    """pandas' hash of a 1-d array of booleans, integers, dates or plain floats, or None
    when only pandas can say (objects, strings, complex, NaN or -0.0 floats)."""
    dtype = vals.dtype
    if dtype == np.bool_:
        return _mix(vals.astype(np.uint64))
    if dtype.kind in "mM":
        return _mix(vals.view(np.int64).astype(np.uint64))
    if dtype.kind in "iu" and dtype.itemsize <= 8:
        return _mix(vals.view(f"u{dtype.itemsize}").astype(np.uint64))
    if dtype.kind == "f" and dtype.itemsize <= 8:
        if np.isnan(vals).any() or np.signbit(vals[vals == 0]).any():
            return None
        return _mix(vals.view(f"u{dtype.itemsize}").astype(np.uint64))
    return None


def hash_values(vals: np.ndarray) -> np.ndarray:
    """The uint64 hash of each value of a 1-d array, as ``pandas.util.hash_array``."""
    hashed = _hash_numbers(vals)
    if hashed is not None:
        return hashed
    from ...utils.optional import require

    pd = require("pandas", "The digest of a numpy array of this dtype")
    return pd.util.hash_array(vals)


def md5_digest(elements: list) -> str:
    """The first 8 hex digits of the md5 of the elements' bytes, in order."""
    if not elements:
        raise MlflowException("No hashable elements were provided for md5 digest creation",
                              INVALID_PARAMETER_VALUE)
    md5 = hashlib.md5(usedforsecurity=False)
    for element in elements:
        md5.update(element)
    return md5.hexdigest()[:8]


def _array_elements(array: np.ndarray, out: list) -> None:
    head = array.flatten()[0:MAX_ROWS]
    try:
        out.append(hash_values(head).tobytes())
    except TypeError:  # values pandas cannot hash (lists, dicts): their count stands in
        out.append(np.int64(head.size).tobytes())
    out.extend(np.int64(n).tobytes() for n in array.shape)


def numpy_digest(features, targets=None) -> str:
    """The digest of numpy features (an array or a dict of arrays) and targets."""
    elements: list = []
    for item in (features, targets):
        if item is None:
            continue
        if isinstance(item, dict):
            for key in sorted(item):
                _array_elements(item[key], elements)
        else:
            _array_elements(item, elements)
    return md5_digest(elements)


def _all_str(values) -> bool:
    # exactly str, as MLflow's ``df.map(type) == str`` (a str subclass does not count)
    return all(type(v) is str for v in values)


def pandas_digest(df) -> str:
    """The digest of a DataFrame: its first rows' string and numeric columns, its length
    and its column names."""
    import pandas as pd

    head = df.head(MAX_ROWS)
    empty = len(df) == 0
    string_mask = []
    for position in range(df.shape[1]):
        column = df.iloc[:, position]
        dtype = column.dtype
        if empty:
            string_mask.append(True)
        elif isinstance(dtype, np.dtype) and dtype.kind != "O":
            string_mask.append(False)  # numbers, booleans, dates: never a str
        else:
            string_mask.append(_all_str(column.astype(object).to_numpy()))
    string_columns = head.columns[np.array(string_mask, dtype=bool)]
    numeric_columns = head.select_dtypes(include=[np.number]).columns
    head = head[string_columns.union(numeric_columns)]
    return md5_digest([pd.util.hash_pandas_object(head).values.tobytes(),
                       np.int64(len(df)).tobytes()]
                      + [str(name).encode() for name in df.columns])
