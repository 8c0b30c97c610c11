import pytest


@pytest.mark.django_db
def test_unknown_url_gets_a_friendly_german_404(client):
    response = client.get("/gibt-es-nicht/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Diese Seite gibt es nicht." in body
    assert 'lang="de"' in body


@pytest.mark.django_db
def test_unknown_url_gets_an_english_404_for_english_readers(client):
    response = client.get("/gibt-es-nicht/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "This page does not exist." in response.content.decode()


@pytest.mark.django_db
def test_pages_carry_an_enforced_content_security_policy(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.django_db
def test_the_language_switch_changes_the_page_language(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert 'lang="en"' in response.content.decode()
