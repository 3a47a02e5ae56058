"""tests/compat: porting from interpret-community, and its own tests run through a shim.

``ancestor/`` holds interpret-community's pinned test files and ``shim/`` the import
aliases they run through; both run only in a subprocess (``run_ancestor.py``, with the
shim on ``sys.path``), never in this suite's collection.
"""

collect_ignore = ["ancestor", "shim"]
