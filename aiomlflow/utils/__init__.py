"""``mlflow.utils``: the few helpers and constants third-party integrations import."""
