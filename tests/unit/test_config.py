import pytest

from upload_core.config import Config, ConfigError


def test_defaults_follow_the_contract():
    config = Config.from_env({"UPLOAD_BUCKET": "b"})
    assert config.inline_max_bytes == 4194304
    assert config.max_upload_bytes == 5368709120
    assert config.multipart_threshold_bytes == 104857600
    assert config.allowed_extensions == ("png", "jpg", "jpeg", "gif", "pdf", "doc", "docx")
    assert config.presign_ttl_seconds == 900
    assert config.cors_allowed_origins == ("*",)


def test_lists_are_trimmed_and_lowercased():
    config = Config.from_env(
        {
            "UPLOAD_BUCKET": "b",
            "ALLOWED_EXTENSIONS": " PNG, .pdf ,,docx",
            "CORS_ALLOWED_ORIGINS": "https://a.example/, http://localhost:5173",
        }
    )
    assert config.allowed_extensions == ("png", "pdf", "docx")
    assert config.cors_allowed_origins == ("https://a.example", "http://localhost:5173")


@pytest.mark.parametrize(
    "env, variable",
    [
        ({}, "UPLOAD_BUCKET"),
        ({"INLINE_MAX_BYTES": "-1"}, "INLINE_MAX_BYTES"),
        ({"INLINE_MAX_BYTES": "10000000"}, "INLINE_MAX_BYTES"),
        ({"INLINE_MAX_BYTES": "4MB"}, "INLINE_MAX_BYTES"),
        ({"MAX_UPLOAD_BYTES": "0"}, "MAX_UPLOAD_BYTES"),
        ({"MULTIPART_THRESHOLD_BYTES": "1024"}, "MULTIPART_THRESHOLD_BYTES"),
        ({"ALLOWED_EXTENSIONS": "png,exe"}, "ALLOWED_EXTENSIONS"),
        ({"PRESIGN_TTL_SECONDS": "0"}, "PRESIGN_TTL_SECONDS"),
        ({"PRESIGN_TTL_SECONDS": "999999999"}, "PRESIGN_TTL_SECONDS"),
        # S3 takes 7 days, but a Lambda role's credentials do not live that long.
        ({"PRESIGN_TTL_SECONDS": "86400"}, "PRESIGN_TTL_SECONDS"),
        ({"PRESIGN_TTL_SECONDS": "3601"}, "PRESIGN_TTL_SECONDS"),
        ({"EVENT_BUS_NAME": "bus with spaces"}, "EVENT_BUS_NAME"),
        ({"TRACING_ENABLED": "maybe"}, "TRACING_ENABLED"),
        ({"CORS_ALLOWED_ORIGINS": "evil.example"}, "CORS_ALLOWED_ORIGINS"),
        ({"CLAMD_ADDRESS": "clamd.internal"}, "CLAMD_ADDRESS"),
        ({"CLAMD_ADDRESS": "clamd.internal:99999"}, "CLAMD_ADDRESS"),
        ({"CLAMD_ADDRESS": ":3310"}, "CLAMD_ADDRESS"),
        ({"AUTH_MODE": "cognito"}, "AUTH_MODE"),
        ({"QUOTA_BYTES": "0"}, "QUOTA_BYTES"),
        ({"QUOTA_PENDING": "-3"}, "QUOTA_PENDING"),
        ({"QUOTA_PENDING": "five"}, "QUOTA_PENDING"),
        ({"QUOTA_PENDING_BYTES": "0"}, "QUOTA_PENDING_BYTES"),
        ({"API_BASE_URL": "api.example.com"}, "API_BASE_URL"),
        ({"API_BASE_URL": "https://api.example.com/prod/"}, "API_BASE_URL"),
        ({"API_BASE_URL": "https://api.example.com/prod?x=1"}, "API_BASE_URL"),
        ({"API_BASE_URL": "javascript:alert(1)"}, "API_BASE_URL"),
    ],
)
def test_bad_values_fail_at_start_naming_the_variable(env, variable):
    full = {"UPLOAD_BUCKET": "b", **env} if variable != "UPLOAD_BUCKET" else env
    with pytest.raises(ConfigError) as info:
        Config.from_env(full)
    assert info.value.variable == variable
    assert variable in str(info.value)


def test_clamd_address_is_off_by_default_and_parsed_when_set():
    assert Config.from_env({"UPLOAD_BUCKET": "b"}).clamd_host_port is None
    config = Config.from_env({"UPLOAD_BUCKET": "b", "CLAMD_ADDRESS": " 10.0.0.5:3310 "})
    assert config.clamd_host_port == ("10.0.0.5", 3310)
    assert Config.from_env({"UPLOAD_BUCKET": "b", "CLAMD_ADDRESS": "[::1]:3310"}).clamd_host_port == ("::1", 3310)


def test_auth_and_quotas_are_read_and_unset_quotas_mean_none():
    config = Config.from_env({"UPLOAD_BUCKET": "b", "AUTH_MODE": " JWT ", "QUOTA_BYTES": "1_000", "QUOTA_PENDING": ""})
    assert (config.auth_mode, config.quota_bytes, config.quota_pending) == ("jwt", 1000, None)
    assert Config.from_env({"UPLOAD_BUCKET": "b"}).auth_mode == "none"


def test_the_work_in_flight_limit_and_the_public_url_are_read():
    config = Config.from_env(
        {
            "UPLOAD_BUCKET": "b",
            "QUOTA_PENDING_BYTES": "2_000_000",
            "API_BASE_URL": "https://abc.execute-api.example/prod",
        }
    )
    assert (config.quota_pending_bytes, config.api_base_url) == (2_000_000, "https://abc.execute-api.example/prod")
    unset = Config.from_env({"UPLOAD_BUCKET": "b"})
    assert (unset.quota_pending_bytes, unset.api_base_url) == (None, None)


def test_presigned_urls_may_live_an_hour_and_events_are_off_unless_a_bus_is_named():
    config = Config.from_env({"UPLOAD_BUCKET": "b", "PRESIGN_TTL_SECONDS": "3600"})
    assert config.presign_ttl_seconds == 3600
    assert config.event_bus_name is None
    assert config.tracing_enabled is False
    named = Config.from_env(
        {"UPLOAD_BUCKET": "b", "EVENT_BUS_NAME": "uploads", "METRICS_NAMESPACE": "Acme/Uploads", "TRACING_ENABLED": "1"}
    )
    assert (named.event_bus_name, named.metrics_namespace, named.tracing_enabled) == ("uploads", "Acme/Uploads", True)


def test_an_upload_limit_the_validator_cannot_decide_in_time_fails_at_start():
    """budget.py: 5 GiB is decidable in 900 s but not in 300 s; with clamd the limit is lower."""
    env = {"UPLOAD_BUCKET": "b", "MAX_UPLOAD_BYTES": str(5 * 1024**3)}
    assert Config.from_env(env).max_upload_bytes == 5 * 1024**3
    with pytest.raises(ConfigError) as info:
        Config.from_env({**env, "VALIDATE_TIMEOUT_SECONDS": "300", "CLAMD_ADDRESS": "clamd:3310"})
    assert info.value.variable == "MAX_UPLOAD_BYTES" and "VALIDATE_TIMEOUT_SECONDS" in str(info.value)
    with pytest.raises(ConfigError) as info:
        Config.from_env({**env, "MAX_UPLOAD_BYTES": str(50 * 1024**3)})
    assert info.value.variable == "MAX_UPLOAD_BYTES"
    assert Config.from_env({**env, "MAX_UPLOAD_BYTES": str(2 * 1024**3), "VALIDATE_TIMEOUT_SECONDS": "300"})
