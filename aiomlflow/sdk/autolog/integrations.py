"""The integrations ``mlflow.autolog()`` knows, and the ones aiomlflow implements.

Keys are the library modules whose import turns an integration on; values the MLflow
flavour module that implements it.  aiomlflow implements ``sklearn``; for the others it
logs one line, once, when the library is imported, and skips them.
"""

from __future__ import annotations

# As MLflow 3.17.2's ``mlflow.autolog``: the classic ML libraries ...
LIBRARIES = {
    "tensorflow": "mlflow.tensorflow",
    "keras": "mlflow.keras",
    "xgboost": "mlflow.xgboost",
    "lightgbm": "mlflow.lightgbm",
    "statsmodels": "mlflow.statsmodels",
    "sklearn": "mlflow.sklearn",
    "pyspark": "mlflow.spark",
    "pyspark.ml": "mlflow.pyspark.ml",
    "pytorch_lightning": "mlflow.pytorch",
    "lightning": "mlflow.pytorch",
    "setfit": "mlflow.transformers",
    "transformers": "mlflow.transformers",
}
# ... and the GenAI ones (langchain only by its own autolog() in MLflow, listed there too)
GENAI_LIBRARIES = {
    "autogen": "mlflow.ag2",
    "agno": "mlflow.agno",
    "anthropic": "mlflow.anthropic",
    "autogen_agentchat": "mlflow.autogen",
    "openai": "mlflow.openai",
    "google.genai": "mlflow.gemini",
    "google.generativeai": "mlflow.gemini",
    "litellm": "mlflow.litellm",
    "llama_index.core": "mlflow.llama_index",
    "langchain": "mlflow.langchain",
    "dspy": "mlflow.dspy",
    "crewai": "mlflow.crewai",
    "smolagents": "mlflow.smolagents",
    "groq": "mlflow.groq",
    "strands": "mlflow.strands",
    "haystack": "mlflow.haystack",
    "boto3": "mlflow.bedrock",
    "mistralai": "mlflow.mistral",
    "pydantic_ai": "mlflow.pydantic_ai",
    "typesafe_sdk": "mlflow.typesafe",
}

# flavour module → the aiomlflow module whose autolog() implements it
IMPLEMENTED = {
    "mlflow.sklearn": "aiomlflow.sklearn",
}
