"""SMS settings: a nonsense backend or a gateway URL that is not https stops start-up."""

import pytest

from tests.test_settings import start_django


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SMS_BACKEND": "pigeon"}, "SMS_BACKEND"),
        ({"SMS_BACKEND": "http"}, "SMS_HTTP_URL"),
        ({"SMS_BACKEND": "http", "SMS_HTTP_URL": "http://gateway.example/send"}, "SMS_HTTP_URL"),
        ({"SMS_HTTP_FORMAT": "xml"}, "SMS_HTTP_FORMAT"),
        ({"SMS_HTTP_TIMEOUT": "0"}, "SMS_HTTP_TIMEOUT"),
    ],
)
def test_it_refuses_a_nonsense_sms_setting_naming_the_variable(env, named):
    result = start_django(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


@pytest.mark.parametrize("url", ["https://gateway.example/send", "http://127.0.0.1:9999/send"])
def test_an_https_or_local_gateway_starts(url):
    result = start_django(SMS_BACKEND="http", SMS_HTTP_URL=url)
    assert result.returncode == 0, result.stderr
