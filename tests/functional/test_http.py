"""The HTTP surface as a client sees it: errors, CORS, OpenAPI, the page."""

import pytest


def test_healthz_touches_no_aws(env):
    from upload_core.config import Config
    from upload_core.http import create_app
    from upload_core.s3.store import S3Store

    def no_client():
        raise AssertionError("healthz made an S3 client")

    config = Config.from_env()
    app = create_app(config, S3Store(config, client_factory=no_client))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("path", ["/uploads", "/healthz", "/uploads/AAAAAAAAAAAAAAAAAAAAAA"])
def test_wrong_methods_are_json_405(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert response.is_json
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "Allow" in response.headers


def test_an_unexpected_bug_is_a_json_500_without_a_trace(client, store, monkeypatch):
    monkeypatch.setattr(store, "get_record", lambda upload_id: 1 / 0)
    response = client.get("/uploads/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "internal_error", "message": "Internal error"}}


def test_s3_down_is_503(client, store, monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    def down(**kwargs):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    monkeypatch.setattr(store.client, "get_object", down)
    response = client.get("/uploads/AAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"


def test_preflights_are_answered_for_allowed_origins(make_app, bucket):
    client = make_app(CORS_ALLOWED_ORIGINS="https://app.example").test_client()
    headers = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    response = client.options("/uploads", headers=headers)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "https://app.example"
    allowed = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert allowed == {"GET", "POST", "DELETE", "OPTIONS"}  # what the routes answer, nothing more
    assert response.headers["Access-Control-Allow-Headers"] == "content-type"
    other = client.options("/uploads", headers={**headers, "Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert (
        client.get("/healthz", headers={"Origin": "https://app.example"}).headers["Access-Control-Allow-Origin"]
        == "https://app.example"
    )


def test_any_origin_by_default(client):
    response = client.get("/healthz", headers={"Origin": "https://anywhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_openapi_is_valid_31_and_lists_exactly_the_apps_routes(app, client):
    from openapi_spec_validator import validate

    document = client.get("/openapi.json").get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")

    def openapi_path(rule: str) -> str:
        import re

        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{id}" if m.group(1) == "upload_id" else "{%s}" % m.group(1), rule)

    served = {
        (openapi_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    }
    assert documented == served


def test_openapi_lists_every_error_code_the_service_raises(client):
    """Every code a route or the validator can raise, found in the source, is in the document's enum
    with the status it is raised with, and the enum has nothing that is never raised."""
    import re
    from pathlib import Path

    import upload_core
    from upload_core.errors import CODES

    document = client.get("/openapi.json").get_json()
    enum = document["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]["enum"]
    source = "\n".join(p.read_text("utf-8") for p in Path(upload_core.__file__).parent.rglob("*.py"))
    raised = set(
        re.findall(
            r"\b(?:[A-Z]\w*(?:Error|Request|Found|Allowed|Large|Unsupported|Unsafe|Conflict|Forbidden)"
            r"|Unsafe|Unsupported|Conflict|Forbidden|TooLarge)\(\s*\"([a-z_]+)\"",
            source,
        )
    )
    # Subclasses that carry their own code: super().__init__("code", ...)
    raised |= set(re.findall(r"super\(\)\.__init__\(\s*\"([a-z_]+)\"", source))
    raised |= {"unsafe_content"}  # raised by inspect.base.unsafe()
    assert raised, "the scan found no raised codes"
    assert sorted(raised - set(enum)) == []
    assert sorted(set(enum) - raised) == []
    described = document["components"]["responses"]
    for code in enum:
        assert code in described[f"E{CODES[code].status}"]["description"], code


def test_the_page_is_html_with_a_strict_csp_and_local_assets(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    html = response.get_data(as_text=True)
    assert "http://" not in html and "https://" not in html  # no CDN
    assert client.get("/assets/upload.js").status_code == 200
    assert client.get("/assets/nope.js").get_json()["error"]["code"] == "not_found"
