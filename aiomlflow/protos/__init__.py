"""``mlflow.protos``: only the error codes, without protobuf."""
