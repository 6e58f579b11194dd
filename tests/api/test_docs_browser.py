"""/docs in a real headless browser on a network with no internet: Swagger UI comes from the app
itself, authorizes with a (steward) key, and a call made from it answers 200."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import uuid
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from app import create_app, db
from app.access.keys import create_key

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions as ready  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="no headless browser: apt-get install chromium chromium-driver (.ci/run does)",
)


@pytest.fixture
def steward_key(database_url) -> str:
    with db.transaction() as conn:
        return create_key(conn, f"docs-browser-{uuid.uuid4().hex[:8]}", ["steward"])


@pytest.fixture
def server(settings, database_url) -> Iterator[str]:
    app = create_app(dataclasses.replace(settings, api_keys=()))
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture
def browser() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_docs_load_offline_authorize_and_call(server, browser, steward_key):
    wait = WebDriverWait(browser, 20)
    browser.get(f"{server}/docs")
    wait.until(ready.presence_of_element_located((By.CSS_SELECTOR, ".opblock")))
    assert browser.execute_script("return typeof SwaggerUIBundle") == "function"
    # every file the page loaded came from the app itself, none from another host
    loaded = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded and all(url.startswith(server) for url in loaded), loaded

    browser.find_element(By.CSS_SELECTOR, ".auth-wrapper .authorize").click()
    field = wait.until(ready.visibility_of_element_located((By.CSS_SELECTOR, ".modal-ux input")))
    field.send_keys(steward_key)
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .auth-btn-wrapper .authorize").click()
    browser.find_element(By.CSS_SELECTOR, ".modal-ux .btn-done").click()

    operation = browser.find_element(
        By.XPATH,
        "//div[contains(@class,'opblock-get')][.//*[@data-path='/identity/suspected-duplicates']]",
    )
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".try-out__btn"))).click()
    wait.until(ready.element_to_be_clickable((By.CSS_SELECTOR, ".execute"))).click()
    status = wait.until(
        ready.visibility_of_element_located(
            (By.CSS_SELECTOR, ".live-responses-table .response .response-col_status")
        )
    )
    assert status.text.strip() == "200"
