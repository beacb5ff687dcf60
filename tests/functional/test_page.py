"""The page's Content-Security-Policy lets it reach the S3 host its presigned URLs name,
and nothing else: checked against the URLs the API really hands out."""

from urllib.parse import urlsplit


def csp_sources(response, directive: str) -> list[str]:
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        if name == directive:
            return values
    return []


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def presigned_origins(client) -> set[str]:
    single = client.post("/uploads", json={"filename": "a.png", "size": 1000}).get_json()["upload"]
    post = client.post("/uploads", json={"filename": "a.png", "size": 1000, "method": "POST"}).get_json()["upload"]
    return {origin(single["url"]), origin(post["url"])}


def test_on_aws_the_page_may_connect_to_the_buckets_host_only(client):
    connect = csp_sources(client.get("/"), "connect-src")
    assert presigned_origins(client) == {"https://uploads-test.s3.us-east-1.amazonaws.com"}
    assert connect == ["'self'", "https://uploads-test.s3.us-east-1.amazonaws.com"]  # not every bucket on AWS


def test_locally_the_page_may_connect_to_the_local_s3(live_app, moto_server):
    client = live_app.test_client()
    connect = csp_sources(client.get("/"), "connect-src")
    assert presigned_origins(client) == {moto_server}
    assert connect == ["'self'", moto_server]


def test_the_page_runs_only_its_own_script_and_names_no_other_site(client):
    response = client.get("/")
    assert csp_sources(response, "script-src") == ["'self'"]
    assert csp_sources(response, "default-src") == ["'none'"]
    assert csp_sources(response, "frame-ancestors") == ["'none'"]
    html = response.get_data(as_text=True)
    assert '<script src="/assets/upload.js"></script>' in html
    assert "<script>" not in html and " style=" not in html  # nothing inline for the CSP to allow


def test_the_page_links_its_assets_under_the_stage_prefix(app):
    client = app.test_client()
    html = client.get("/", environ_overrides={"SCRIPT_NAME": "/prod"}).get_data(as_text=True)
    assert 'href="/prod/assets/upload.css"' in html and 'src="/prod/assets/upload.js"' in html
    assert 'data-base="/prod"' in html
