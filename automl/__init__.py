"""Optuna-driven model search with explanations for every run and the best model.

The search API (``AutoMLConfig``, ``AutoML``, ``AutoMLRun``) is being built; this package
currently exports nothing.
"""

__all__: list[str] = []
