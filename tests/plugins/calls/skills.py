# ruff: noqa: E501 - the tables of calls read best one call to a line
"""client.skills: skills and versions, uploaded as a directory, a zip file or a list of
files (multipart), and their content as bytes or a stream."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from tests.plugins.calls import Call

SKILL = "skill_68d1a0e2c4f081909b6f4e1c1d2e3f40"
SKILL_MD = b"---\nname: csv-insights\ndescription: Summarize a CSV file.\n---\n\nRead the CSV, then summarize it.\n"


def directory(tmp: Path) -> Path:
    """A skill's folder: SKILL.md and a script."""
    folder = tmp / "csv_insights"
    (folder / "scripts").mkdir(parents=True, exist_ok=True)
    (folder / "SKILL.md").write_bytes(SKILL_MD)
    (folder / "scripts" / "summarize.py").write_bytes(b"print('summary')\n")
    return folder


def zipped(tmp: Path) -> Path:
    path = tmp / "csv_insights.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("csv_insights/SKILL.md", SKILL_MD)
    return path


def listed() -> list[Any]:
    return [
        ("csv_insights/SKILL.md", SKILL_MD, "text/markdown"),
        ("csv_insights/notes.txt", io.BytesIO(b"notes")),
    ]


CALLS = {
    "skills.create": Call(lambda c, tmp: c.skills.create(directory(tmp)), "POST /skills", tmp=True),
    "skills.create (zip)": Call(
        lambda c, tmp: c.skills.create(zipped(tmp)), "POST /skills", tmp=True
    ),
    "skills.create (list)": Call(lambda c: c.skills.create(listed()), "POST /skills"),
    "skills.list": Call(
        lambda c: c.skills.list(limit=20, order="desc", after="skill_1"), "GET /skills"
    ),
    "skills.retrieve": Call(lambda c: c.skills.retrieve(SKILL), "GET /skills/{skill_id}"),
    "skills.update": Call(lambda c: c.skills.update(SKILL, "2"), "POST /skills/{skill_id}"),
    "skills.delete": Call(lambda c: c.skills.delete(SKILL), "DELETE /skills/{skill_id}"),
    "skills.content": Call(
        lambda c: c.skills.content(SKILL), "GET /skills/{skill_id}/content", answer="bytes"
    ),
    "skills.content (stream)": Call(
        lambda c: c.skills.content(SKILL, stream=True),
        "GET /skills/{skill_id}/content",
        answer="bytes",
    ),
    "skills.versions_create": Call(
        lambda c, tmp: c.skills.versions_create(SKILL, directory(tmp), default=True),
        "POST /skills/{skill_id}/versions",
        tmp=True,
    ),
    "skills.versions_create (zip)": Call(
        lambda c, tmp: c.skills.versions_create(SKILL, zipped(tmp)),
        "POST /skills/{skill_id}/versions",
        tmp=True,
    ),
    "skills.versions_list": Call(
        lambda c: c.skills.versions_list(SKILL, limit=10, order="asc"),
        "GET /skills/{skill_id}/versions",
    ),
    "skills.versions_retrieve": Call(
        lambda c: c.skills.versions_retrieve(SKILL, "2"),
        "GET /skills/{skill_id}/versions/{version}",
    ),
    "skills.versions_delete": Call(
        lambda c: c.skills.versions_delete(SKILL, "1"),
        "DELETE /skills/{skill_id}/versions/{version}",
    ),
    "skills.versions_content": Call(
        lambda c: c.skills.versions_content(SKILL, "2"),
        "GET /skills/{skill_id}/versions/{version}/content",
        answer="bytes",
    ),
    "skills.versions_content (stream)": Call(
        lambda c: c.skills.versions_content(SKILL, "2", stream=True, num=1024),
        "GET /skills/{skill_id}/versions/{version}/content",
        answer="bytes",
    ),
}
