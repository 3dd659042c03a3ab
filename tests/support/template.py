"""template.yaml parsed once per test process.

Parsing the template costs more than most tests, and every moto fixture reads it
(tables, served functions). Nothing in the tests changes the file or the parsed
description, so one parse serves them all; ``local.template.load_template`` stays
uncached for the local runtime, which reads it once anyway.
"""

from __future__ import annotations

import functools
import json

from local.template import Template, load_template


@functools.cache
def template() -> Template:
    return load_template()


def scheduled_jobs() -> tuple[str, ...]:
    """Every job a template schedule sends the scheduler function (``{"job": <name>}``), in template order."""
    return tuple(
        json.loads(schedule.input)["job"]
        for fn in template().functions
        for schedule in fn.schedules
        if schedule.input is not None
    )
