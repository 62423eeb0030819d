"""client.images: generations as JSON, edits and variations as multipart with the image
bytes checked on the server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

import openaistream
from tests.support import recordings
from tests.support.api import answer, last

# The smallest valid PNG: 1x1, transparent.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "otter.png"
    path.write_bytes(PNG)
    return path


def test_create_returns_the_images(httpserver: HTTPServer, client: openaistream.OpenAI) -> None:
    generated = json.loads(recordings.body("images/gpt_image_1_b64"))
    answer(httpserver, generated)
    assert client.images.create("A cute baby sea otter", model="gpt-image-1") == generated
    assert json.loads(last(httpserver).get_data()) == {
        "prompt": "A cute baby sea otter",
        "model": "gpt-image-1",
    }


def test_edit_sends_image_mask_and_prompt(
    httpserver: HTTPServer, client: openaistream.OpenAI, image: Path, tmp_path: Path
) -> None:
    mask = tmp_path / "mask.png"
    mask.write_bytes(PNG[:-1] + b"\x82")
    answer(httpserver, {"created": 1, "data": [{"url": "https://example.invalid/x.png"}]})
    client.images.edit(image, "Add a hat", mask=mask, n=2, size="256x256")
    request = last(httpserver)
    assert (request.method, request.path) == ("POST", "/v1/images/edits")
    assert request.form.to_dict() == {"prompt": "Add a hat", "n": "2", "size": "256x256"}
    assert request.files["image"].read() == PNG
    assert request.files["image"].mimetype == "image/png"
    assert request.files["mask"].read() == mask.read_bytes()


def test_edit_with_several_images_sends_them_as_a_list(
    httpserver: HTTPServer, client: openaistream.OpenAI, image: Path, tmp_path: Path
) -> None:
    second = tmp_path / "hat.png"
    second.write_bytes(PNG)
    answer(httpserver, {"created": 1, "data": []})
    client.images.edit([image, second], "Put the hat on the otter", model="gpt-image-1")
    files = last(httpserver).files.getlist("image[]")
    assert [f.filename for f in files] == ["otter.png", "hat.png"]


def test_variation(httpserver: HTTPServer, client: openaistream.OpenAI, image: Path) -> None:
    answer(httpserver, json.loads(recordings.body("images/dalle2_url")))
    result = client.images.variation(image, n=1, response_format="url")
    assert result["data"][0]["url"].startswith("https://")
    request = last(httpserver)
    assert request.path == "/v1/images/variations"
    assert request.form.to_dict() == {"n": "1", "response_format": "url"}
    assert request.files["image"].read() == PNG


def test_missing_images_fail_before_any_network(
    httpserver: HTTPServer, client: openaistream.OpenAI, image: Path, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError, match="image"):
        client.images.variation(tmp_path / "none.png")
    with pytest.raises(FileNotFoundError, match="mask"):
        client.images.edit(image, "x", mask=tmp_path / "none.png")
    with pytest.raises(FileNotFoundError, match=r"image\[1\]"):
        client.images.edit([image, tmp_path / "none.png"], "x")
    with pytest.raises(TypeError, match="prompt"):
        client.images.create(None)  # type: ignore[arg-type]
    assert httpserver.log == []
