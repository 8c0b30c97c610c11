import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/datenschutz/", "Datenschutz"),
        ("/barrierefreiheit/", "Erklärung zur Barrierefreiheit"),
        ("/impressum/", "Impressum"),
    ],
)
def test_the_legal_pages_are_public(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    assert f'<h1 class="h2">{heading}</h1>' in response.content.decode()


@pytest.mark.django_db
def test_the_operator_is_configured(client, settings):
    settings.OPERATOR = settings.OPERATOR | {"accessibility_email": "hilfe@celle.example"}
    assert "hilfe@celle.example" in client.get("/barrierefreiheit/").content.decode()


@pytest.mark.django_db
def test_the_privacy_notice_states_the_retention_time(client, settings):
    settings.RETENTION_DAYS = 30
    assert "30 Tage nach dem Beratungstag" in client.get("/datenschutz/").content.decode()


@pytest.mark.django_db
def test_an_operator_can_replace_a_page(client, settings, tmp_path):
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "imprint.html").write_text("Eigenes Impressum")
    settings.TEMPLATES = [
        settings.TEMPLATES[0] | {"DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    assert client.get("/impressum/").content.decode() == "Eigenes Impressum"
