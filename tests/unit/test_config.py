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
        ({"SWEEP_AFTER_SECONDS": "5"}, "SWEEP_AFTER_SECONDS"),
        ({"SWEEP_AFTER_SECONDS": "fifteen minutes"}, "SWEEP_AFTER_SECONDS"),
        ({"CORS_ALLOWED_ORIGINS": "evil.example"}, "CORS_ALLOWED_ORIGINS"),
        ({"CLAMD_ADDRESS": "clamd.internal"}, "CLAMD_ADDRESS"),
        ({"CLAMD_ADDRESS": "clamd.internal:99999"}, "CLAMD_ADDRESS"),
        ({"CLAMD_ADDRESS": ":3310"}, "CLAMD_ADDRESS"),
        ({"MALWARE_SCANNER": "clamav"}, "MALWARE_SCANNER"),
        ({"MALWARE_SCANNER": "clamd"}, "CLAMD_ADDRESS"),
        ({"MALWARE_SCANNER": "guardduty", "CLAMD_ADDRESS": "clamd:3310"}, "CLAMD_ADDRESS"),
        ({"MALWARE_SCANNER": "none", "CLAMD_ADDRESS": "clamd:3310"}, "CLAMD_ADDRESS"),
        ({"MALWARE_SCANNER": "guardduty", "SCAN_RESULT_TIMEOUT_SECONDS": "0"}, "SCAN_RESULT_TIMEOUT_SECONDS"),
        ({"MALWARE_SCANNER": "guardduty", "SCAN_RESULT_TIMEOUT_SECONDS": "90000"}, "SCAN_RESULT_TIMEOUT_SECONDS"),
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


@pytest.mark.parametrize(
    "env, scanner",
    [
        ({}, "none"),
        ({"CLAMD_ADDRESS": "clamd:3310"}, "clamd"),
        ({"MALWARE_SCANNER": " ClamD ", "CLAMD_ADDRESS": "clamd:3310"}, "clamd"),
        ({"MALWARE_SCANNER": "guardduty"}, "guardduty"),
        ({"MALWARE_SCANNER": "none"}, "none"),
        ({"MALWARE_SCANNER": ""}, "none"),
    ],
)
def test_the_malware_scanner_defaults_to_clamd_only_when_an_address_is_given(env, scanner):
    config = Config.from_env({"UPLOAD_BUCKET": "b", **env})
    assert config.malware_scanner == scanner
    assert config.guardduty == (scanner == "guardduty")
    assert config.scan_result_timeout_seconds == 3600


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


def test_each_type_is_capped_at_what_the_validator_decides_in_time():
    """budget.py: a PDF is inspected far slower than a photo, so its largest upload is lower;
    MAX_UPLOAD_BYTES caps every type; more memory (more CPU) or clamd move the caps."""
    config = Config.from_env({"UPLOAD_BUCKET": "b"})
    pdf = config.validate_function.largest_decidable("pdf", False)
    assert config.max_bytes_for("pdf") == min(pdf, config.max_upload_bytes)
    assert config.max_bytes_for("pdf") < config.max_bytes_for("png") <= config.max_upload_bytes
    bigger = Config.from_env({"UPLOAD_BUCKET": "b", "VALIDATE_MEMORY_MB": "1024"})
    assert bigger.max_bytes_for("pdf") > config.max_bytes_for("pdf")
    scanned = Config.from_env({"UPLOAD_BUCKET": "b", "CLAMD_ADDRESS": "clamd:3310"})
    assert scanned.max_bytes_for("png") < config.max_bytes_for("png") or config.max_bytes_for("png") == 5 * 1024**3
    assert Config.from_env({"UPLOAD_BUCKET": "b", "MAX_UPLOAD_BYTES": "1000"}).max_bytes_for("pdf") == 1000


@pytest.mark.parametrize(
    "settings, variable",
    [
        ({"API_TIMEOUT_SECONDS": "3"}, "INLINE_MAX_BYTES"),  # not even a 1 MiB PDF is decided inline in 3 s
        ({"API_TIMEOUT_SECONDS": "30"}, "API_TIMEOUT_SECONDS"),  # HTTP APIs stop waiting at 30 s
        ({"VALIDATE_TIMEOUT_SECONDS": "10"}, "VALIDATE_TIMEOUT_SECONDS"),  # not even a 4 MiB PDF in time
        ({"VALIDATE_MEMORY_MB": "128"}, "VALIDATE_MEMORY_MB"),  # no room for an inspection beside the function
        ({"API_MEMORY_MB": "20000"}, "API_MEMORY_MB"),  # past Lambda's 10,240 MB
    ],
)
def test_settings_the_time_budget_cannot_hold_fail_at_start(settings, variable):
    with pytest.raises(ConfigError) as info:
        Config.from_env({"UPLOAD_BUCKET": "b", **settings})
    assert info.value.variable == variable


def test_each_types_inline_limit_is_what_the_api_decides_in_its_timeout():
    """At 256 MB and a 4 s timeout a dense PDF of INLINE_MAX_BYTES is not decided in time: its
    inline limit is lower (larger ones go presigned), photos keep INLINE_MAX_BYTES, the page
    routes by the least."""
    config = Config.from_env(
        {"UPLOAD_BUCKET": "b", "API_MEMORY_MB": "256", "API_TIMEOUT_SECONDS": "4", "ALLOWED_EXTENSIONS": "png,jpg,pdf"}
    )
    pdf = config.inline_max_for("pdf")
    assert pdf < config.inline_max_bytes == config.inline_max_for("png")
    api = config.api_function
    assert api.decide_seconds("pdf", pdf, False) <= 4 * 0.8 < api.decide_seconds("pdf", pdf + 100_000, False)
    assert config.inline_max_any == min(config.inline_max_for(ext) for ext in config.allowed_extensions) <= pdf
