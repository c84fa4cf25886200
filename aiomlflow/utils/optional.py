"""Optional dependencies, imported only when a feature needs them."""

from __future__ import annotations

import importlib

# module → the aiomlflow extra that installs it
_EXTRAS = {
    "PIL": "images",
    "matplotlib": "figures",
    "plotly": "figures",
    "pandas": "pandas",
    "sklearn": "evaluation",
    "yaml": "yaml",
    "cloudpickle": "models",
    "psutil": "system",
    "pynvml": "system",
    "sklearn": "sklearn",
    "skops": "sklearn",
}


def require(module: str, feature: str):
    """Import ``module`` for ``feature``, or raise an ImportError naming the extra that
    installs it (``pip install 'aiomlflow[images]'``)."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRAS.get(top)
        hint = (f"pip install 'aiomlflow[{extra}]'" if extra else f"pip install {top}")
        raise ImportError(f"{feature} needs the optional package {top!r}, which is not "
                          f"installed. Install it with `{hint}`.") from exc
