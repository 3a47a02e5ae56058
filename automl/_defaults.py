"""Defaults the command line shows in its help, importable without the search's dependencies.

:mod:`automl._cli` builds its parser from these (``automl --help`` answers at once); the
configuration and the search use the same values.
"""

__all__ = ["CLASSIFICATION_METRICS", "DEFAULT_STORAGE", "REGRESSION_METRICS"]

DEFAULT_STORAGE = "sqlite:///./automl_runs/automl.db"
# Azure AutoML's names of the primary metrics automl._metrics implements (a test checks they agree)
CLASSIFICATION_METRICS = ("AUC_macro", "AUC_weighted", "accuracy", "balanced_accuracy", "f1_score_macro",
                          "f1_score_weighted", "log_loss", "norm_macro_recall", "precision_score_weighted",
                          "recall_score_weighted")
REGRESSION_METRICS = ("mean_absolute_error", "normalized_mean_absolute_error",
                      "normalized_root_mean_squared_error", "r2_score", "root_mean_squared_error",
                      "spearman_correlation")
