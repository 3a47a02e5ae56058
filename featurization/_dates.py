"""Reading dates as a fitted skrub ``ToDatetime`` reads them, fast for canonical text.

``ToDatetime.transform`` parses with ``pandas.to_datetime`` (about 250 microseconds a call
however few the values). A value in canonical form -- ISO 8601 ``YYYY-MM-DD[(T| )HH:MM[:SS
[.ffffff]]][Z|+HH:MM]`` for a column fitted on datetimes, or text that ``strptime`` reads with
the fitted format and ``strftime`` writes back unchanged -- denotes one instant that pandas
reads the same way, so it is converted directly, as is a date object without a time zone in a
column fitted on datetimes; anything else goes through the fitted step
itself, value for value as the pipeline would read it (NaT where it is not a date).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["DateReader"]

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?"
                  r"(Z|[+-]\d{2}:\d{2})?)?")


class DateReader:
    """Dates of a column as its fitted ``ToDatetime`` step outputs them.

    Parameters
    ----------
    to_datetime : skrub.ToDatetime
        The fitted step (no time zone in its output).
    """

    def __init__(self, to_datetime: Any) -> None:
        self.step = to_datetime
        self.format = to_datetime.format_
        self.dtype = np.dtype(to_datetime.output_dtype_)
        unit = np.datetime_data(self.dtype)[0]
        fast_format = self.format is None or not any(code in self.format for code in ("%z", "%Z", "%f"))
        self.fast = unit in ("us", "ns") and fast_format

    def read(self, values: list[Any]) -> np.ndarray:
        """``values`` (strings, date objects or ``None``) as datetime64, NaT where missing or not
        a date."""
        dates = np.full(len(values), np.datetime64("NaT"), dtype=self.dtype)
        slow = []
        for row, value in enumerate(values):
            if value is None:
                continue
            if not self.fast:
                parsed = None
            elif isinstance(value, str):
                parsed = self._canonical(value)
            else:
                parsed = self._naive(value)
            if parsed is None:
                slow.append(row)
            else:
                dates[row] = parsed
        if slow:
            dates[slow] = self._pandas([values[row] for row in slow])
        return dates

    def _canonical(self, text: str) -> np.datetime64 | None:
        if self.format is None:
            return _iso(text)
        try:
            parsed = datetime.datetime.strptime(text, self.format)
        except ValueError:
            return None
        if parsed.strftime(self.format) != text:
            return None
        return np.datetime64(parsed, "us")

    def _naive(self, value: Any) -> np.datetime64 | None:
        """A date object without a time zone or nanoseconds, for a column fitted on datetimes
        (which ``ToDatetime`` passes through unchanged)."""
        if self.format is not None or not isinstance(value, datetime.datetime) or value.tzinfo is not None:
            return None
        if isinstance(value, pd.Timestamp):
            return None if value.nanosecond else value.to_datetime64().astype("datetime64[us]")
        return np.datetime64(value, "us")

    def _pandas(self, values: list[Any]) -> np.ndarray:
        """What the fitted step outputs for ``values`` (text read with ``utc=True`` as its
        ``transform`` does for a column fitted on datetimes)."""
        series = pd.Series(values, dtype=object)
        if self.format is None:
            series = pd.to_datetime(series, format="ISO8601", errors="coerce", utc=True)
        return np.asarray(self.step.transform(series).to_numpy(), dtype=self.dtype)


def _iso(text: str) -> np.datetime64 | None:
    """A canonical ISO 8601 date or time as a UTC instant (offsets applied), else ``None``."""
    match = _ISO.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    clock = f"{hour or '00'}:{minute or '00'}:{second or '00'}.{(fraction or '').ljust(6, '0')}"
    stamp = f"{year}-{month}-{day}T{clock}"
    try:
        instant = np.datetime64(stamp, "us")
    except ValueError:  # month 13, February 30, ...: pandas decides (it gives NaT)
        return None
    if int(hour or 0) > 23 or int(minute or 0) > 59 or int(second or 0) > 59:
        return None
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        instant = instant - sign * np.timedelta64(int(zone[1:3]) * 60 + int(zone[4:6]), "m")
    return instant
