# The scoring service as an image: a saved scoring explainer served by uvicorn.
#
#   python -c "from explain.scoring import ScoringExplainer, save; ..."   # or automl: see README
#   docker build -t automl-explain-serve .
#   docker run --rm -p 8000:8000 -v "$PWD/scoring:/model:ro" automl-explain-serve
#
# The image holds the library, not the model: mount the folder written by
# explain.scoring.save at /model (read-only). Loading unpickles it, so mount trusted folders
# only; `explain serve` refuses one whose checksums or library versions do not match, so the
# image must have the versions listed in the folder's manifest.json ("versions"): if they
# differ from the newest releases, pin them with --build-arg PINS="scikit-learn==1.x lightgbm==4.x".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 OMP_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY featurization ./featurization
COPY explain ./explain
COPY automl ./automl
ARG PINS=""
RUN pip install --no-cache-dir ".[serve]" $PINS

RUN useradd --create-home scorer
USER scorer
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["explain", "serve", "/model", "--host", "0.0.0.0", "--port", "8000"]
