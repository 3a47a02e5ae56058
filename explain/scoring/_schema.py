"""The scoring service's request and response bodies (pydantic models; they generate OpenAPI)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "ColumnInfo",
    "Health",
    "Importance",
    "Limits",
    "Metadata",
    "RowExplanation",
    "ScoreRequest",
    "ScoreResponse",
    "UnknownCategory",
]

Value = float | int | str | bool | None


class ScoreRequest(BaseModel):
    """Rows to score, as JSON records, and what to return with the predictions."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"data": [{"income": 4.2, "region": "south"}], "explain": True, "raw": True, "top_k": 5}]})

    data: list[dict[str, Value]] = Field(
        ..., min_length=1, description="Rows as records: one object per row, one key per input column.")
    explain: bool = Field(False, description="Return each row's ranked local importances.")
    raw: bool | None = Field(
        None, description="Importances over raw columns (true) or engineered features (false); "
                          "default raw when the model has a featurization.")
    top_k: int | None = Field(None, ge=1, description="Keep the top_k importances of each row.")


class Importance(BaseModel):
    """One feature's local importance."""

    feature: str
    value: float


class RowExplanation(BaseModel):
    """A row's local importances toward one output, largest |value| first."""

    output: str = Field(..., description="The class explained (the predicted one), or 'prediction'.")
    expected_value: float = Field(..., description="The importances add up to the model output minus this.")
    importances: list[Importance]


class UnknownCategory(BaseModel):
    """A category the model's featurization did not see in training, accepted and encoded as
    the featurization encodes unknown categories (policy ``unknown_categories: "accept"``)."""

    row: int = Field(..., description="Position of the row in the request's data.")
    column: str
    value: str | None = Field(..., description="The value (null: a missing value in a column that "
                                              "had none in training).")


class ScoreResponse(BaseModel):
    """Predictions, class probabilities and local importances of the scored rows."""

    predictions: list[Any]
    probabilities: list[dict[str, float]] | None = None
    explanations: list[RowExplanation] | None = None
    feature_space: Literal["raw", "engineered"] | None = None
    output_space: str | None = Field(None, description="What the importances add up to "
                                                       "(log_odds, probability, raw, ...).")
    fidelity: str | None = Field(None, description="Whose values the importances are and how far to trust "
                                                   "them (exact SHAP values of the model, or a surrogate's "
                                                   "with its agreement with the model).")
    unknown_categories: list[UnknownCategory] | None = Field(
        None, description="Categories the model's featurization did not see in training, in these rows.")


class ColumnInfo(BaseModel):
    """An input column: what it takes, and what becomes of a missing value there."""

    name: str
    kind: Literal["number", "integer", "boolean", "string", "category", "datetime", "text", "any", "unused"] \
        = Field(..., description="category, datetime and text columns take strings (dates read strictly); "
                                 "an unused column may be left out and its value is ignored.")
    required: bool = True
    missing: Literal["accepted", "refused", "unknown_category", "checked"] = Field(
        "refused", description="accepted (imputed or encoded by the featurization, or taken by the model), "
                               "refused, unknown_category (encoded as an unknown category), or checked per "
                               "row (refused where the featurization passes it on to a model that does not "
                               "take it).")
    categories: list[str] | None = Field(None, description="The categories seen in training.")
    datetime_format: str | None = Field(None, description="strptime format of a datetime column "
                                                          "(null: ISO 8601).")


class Limits(BaseModel):
    """Request limits of this service."""

    max_rows: int
    max_body_bytes: int


class Metadata(BaseModel):
    """What the service serves."""

    model: str
    model_task: str
    explainer: str
    method: str
    classes: list[Any] | None
    input_columns: list[ColumnInfo]
    features: list[str]
    raw_features: list[str] | None
    allows_missing_values: bool = Field(..., description="Whether every used column accepts a missing "
                                                         "value (see each column's missing; an "
                                                         "unknown_category one does when "
                                                         "unknown_categories is accept).")
    unknown_categories: Literal["accept", "refuse"]
    compiled_featurization: bool = Field(..., description="Whether rows are featurized by the compiled "
                                                          "transform of the model's featurization.")
    fidelity: str
    versions: dict[str, str | None]
    limits: Limits


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"] = "ok"
