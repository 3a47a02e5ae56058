"""Views of explanations: pure figure functions and a self-contained static HTML export.

The interactive dashboard builds on these views; ``Explanation.to_html(path)`` uses the
static export.
"""

from explain.dashboard._static import write_html
from explain.dashboard._views import global_importance_figure, per_class_figure, summary_figure

__all__ = ["global_importance_figure", "per_class_figure", "summary_figure", "write_html"]
