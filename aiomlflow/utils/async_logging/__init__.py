"""``mlflow.utils.async_logging``: where MLflow code imports ``RunOperations`` from."""
