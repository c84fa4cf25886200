"""The scikit-learn flavour and its autologging (faced by ``aiomlflow.sklearn``)."""
