"""Names through the API: what is stored, and what a browser is told to save the download as."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import samples


@pytest.mark.parametrize(
    "sent, stored, fallback",
    [
        ("report.ｐｈｐ.png", "report_ｐｈｐ.png", "report_php.png"),
        ("report．php.png", "report_php.png", "report_php.png"),
        ("shell.asp;.png", "shell_asp;.png", "shell_asp.png"),
        ("page.phtm.png", "page_phtm.png", "page_phtm.png"),
        ("отчёт.png", "отчёт.png", "download.png"),
    ],
)
def test_a_download_is_never_named_with_an_inner_server_extension(client, sent, stored, fallback):
    """Apache runs `report.php.png` as PHP: neither the stored name nor the ASCII fallback
    of Content-Disposition may give one back, however the client spelled it."""
    response = client.post("/uploads", data={"file": [(io.BytesIO(samples.png()), sent)]})
    assert response.status_code == 201, response.get_json()
    upload = response.get_json()
    assert upload["filename"] == stored
    location = client.get(upload["links"]["content"]).headers["Location"]
    disposition = parse_qs(urlsplit(location).query)["response-content-disposition"][0]
    assert f'filename="{fallback}"' in disposition
