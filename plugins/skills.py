"""The `skills` resource: skills (a folder of instructions, scripts and resources a model
can use), their versions, and the content of each as a zip file.

Creating a skill or a version uploads its files as a multipart form: a directory (each file
under it sent as `files[]` named by its path in the skill), a zip file, or a list of files.
That walk of a directory is the only method written by hand; every other one is an operation
of the OpenAPI spec in one line. Versions are flat methods (`versions_create`), where
openai-python nests them (`skills.versions.create`); the content of a skill is
`content(skill_id)` (openai-python: `skills.content.retrieve`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Optional, Union

import openaistream
from openaistream.multipart import FileInput, Multipart, Upload, checked_upload
from openaistream.operation import operation
from openaistream.resource import path_for

_SKILL = "/skills/{skill_id}"
_VERSION = "/skills/{skill_id}/versions/{version}"
MAX_FILES = 500  # the spec's maxItems for the files of one upload
SkillFiles = Union[FileInput, "list[FileInput]"]


class Skills(openaistream.Resource):
    """Skills: folders of instructions, scripts and resources a model can use, their versions, and
    the content of each as a zip file, as `client.skills`.

    `create` and `versions_create` upload a skill's files as a multipart form: a directory
    (every file under it, hidden ones left out), a zip file, or a list of files. `content`
    and `versions_content` answer the zip as bytes, or with `stream=True` a stream to
    `write_to` a file.

    ```python
    skill = client.skills.create("csv_insights/")  # the folder holding SKILL.md
    client.skills.versions_create(skill["id"], "csv_insights/", default=True)
    ```
    """

    endpoint = "/skills"

    def create(self, files: SkillFiles, *, verbosity: Optional[int] = None, **params: Any) -> Any:
        """Create a skill from `files`: a directory, a zip file, or a list of files (see
        `skill_files()`). `POST /skills` as a multipart form."""
        body = Multipart(params, {"files": skill_files(files)})
        return self.request("POST", "/skills", multipart=body, verbosity=verbosity)

    list = operation("GET", "/skills", doc="List the skills; after, limit, order.")
    retrieve = operation("GET", _SKILL, doc="Show a skill.")
    update = operation("POST", _SKILL, "default_version", doc="Set a skill's default version.")
    delete = operation("DELETE", _SKILL, doc="Delete a skill.")
    content = operation(
        "GET", _SKILL + "/content", content=True, doc="The skill's files, as a zip file."
    )

    def versions_create(
        self, skill_id: str, files: SkillFiles, *, verbosity: Optional[int] = None, **params: Any
    ) -> Any:
        """A new version of a skill from `files` (as for `create`); `default=True`
        makes it the default version. `POST /skills/{skill_id}/versions` as a multipart
        form."""
        path = path_for(_SKILL + "/versions", skill_id=skill_id)
        body = Multipart(params, {"files": skill_files(files)})
        return self.request("POST", path, multipart=body, verbosity=verbosity)

    versions_list = operation("GET", _SKILL + "/versions", doc="List the versions of a skill.")
    versions_retrieve = operation("GET", _VERSION, doc="Show a version of a skill.")
    versions_delete = operation("DELETE", _VERSION, doc="Delete a version of a skill.")
    versions_content = operation(
        "GET", _VERSION + "/content", content=True, doc="A version's files, as a zip file."
    )


def skill_files(files: SkillFiles) -> Union[Upload, list[Upload]]:
    """The files of a skill upload, checked before any network: a directory becomes every
    file under it (hidden ones left out), each named `<directory>/<its path>` as the API
    reads a skill's layout; a list, each of its items (a path, bytes, an open binary file or
    a `(filename, content[, content_type])` tuple, named by its path in the skill); anything
    else, one file (a zip). Files are read as they are sent, never whole into memory."""
    if isinstance(files, (str, os.PathLike)) and Path(files).is_dir():
        uploads = _directory(Path(files))
    elif isinstance(files, list):
        uploads = [checked_upload(f"files[{i}]", item) for i, item in enumerate(files)]
    else:
        return checked_upload("files", files)
    if not uploads:
        raise ValueError(f"files holds no file: {files!r}")
    if len(uploads) > MAX_FILES:
        raise ValueError(f"files: at most {MAX_FILES} files go in one upload, not {len(uploads)}")
    return uploads


def _directory(folder: Path) -> list[Upload]:
    """Each file under `folder`, in a stable order, named by its path from the folder's
    parent: `my_skill/SKILL.md`, `my_skill/scripts/run.py`."""
    top = folder.resolve().name
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))  # .git and the like
        for name in sorted(n for n in names if not n.startswith(".")):
            path = Path(root, name)
            if path.is_file():
                found.append(Upload(path, f"{top}/{path.relative_to(folder).as_posix()}"))
    return found


@openaistream.hookimpl
def register_resources(register: Callable[[str, type[openaistream.Resource]], None]) -> None:
    register("skills", Skills)


@openaistream.hookimpl
def register_commands(cli: Any) -> None:
    from .commands.skills import command  # only the command line loads click

    cli.add_command(command())
