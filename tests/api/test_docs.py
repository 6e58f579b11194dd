"""/docs is served whole by the app: its page names only the app's own assets."""


def test_docs_page_and_its_assets_come_from_the_app(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "https://" not in page and "http://" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        response = client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200, asset
        assert len(response.get_data()) > 1000
    assert client.get("/docs/assets/../setup.cfg").status_code == 404
