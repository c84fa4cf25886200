"""``mlflow.evaluate``: classic model evaluation (classifier, regressor, text and
retriever model types), its metrics, artifacts, result object and model validation.

Everything here loads on first use of ``aiomlflow.evaluate``; pandas and scikit-learn
(the ``evaluation`` extra) are imported then, matplotlib only to draw plots.
"""
