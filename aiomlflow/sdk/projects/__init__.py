"""MLflow Projects: ``mlflow.run`` on the local backend (spec, fetching, running)."""
