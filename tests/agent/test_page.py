"""The web page in a real headless Chromium against a real server on the loopback address."""

import threading
import time
from pathlib import Path

import pytest
import uvicorn

from agent.graph import GeneverseAgent
from agent.server import bind_socket, create_app
from tools.budget import ResultBudget

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_S = 60

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="headless Chromium is not installed (Debian package 'chromium')"
)


@pytest.fixture(scope="module")
def agent(graph):
    return GeneverseAgent.from_env(graph=graph)


@pytest.fixture(scope="module")
def server_url(agent, graph):
    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(agent=agent, graph=graph), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1200,1400", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    yield driver
    driver.quit()


def _ask(browser, question: str, answers_before: int):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    box = browser.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    WebDriverWait(browser, WAIT_S).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "article.answer, article.failed")) > answers_before
    )
    card = browser.find_elements(By.CSS_SELECTOR, "article.answer, article.failed")[-1]
    assert "failed" not in card.get_attribute("class"), card.text
    return card


def test_chat_shows_answer_provenance_and_rows(browser, server_url, agent, graph, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server_url)
    assert browser.title == "Geneverse"
    WebDriverWait(browser, WAIT_S).until(lambda b: graph.backend_name in b.find_element(By.ID, "health").text)

    question = "Which genes lie in 17p13.1?"
    expected = agent.ask(question)
    card = _ask(browser, question, answers_before=0)
    assert card.find_element(By.CSS_SELECTOR, ".answer-text").text == expected.text.strip()
    assert card.find_element(By.CSS_SELECTOR, ".provenance .tool").text == expected.provenance.tool
    assert card.find_element(By.CSS_SELECTOR, ".provenance pre.cypher").text.strip() == expected.provenance.cypher.strip()
    table_rows = card.find_elements(By.CSS_SELECTOR, "table.rows-table tbody tr")
    assert len(table_rows) == min(len(expected.rows), ResultBudget.rows) > 1  # the API's result budget
    assert expected.rows[0]["symbol"] in card.find_element(By.CSS_SELECTOR, "table.rows-table").text

    card = _ask(browser, "What is the official gene symbol of HER2?", answers_before=1)
    assert card.find_element(By.CSS_SELECTOR, ".short-answer").text == "ERBB2"
    records = [r.text for r in card.find_elements(By.CSS_SELECTOR, ".provenance .record")]
    assert "HGNC:3430" in records
    assert card.find_element(By.CSS_SELECTOR, ".corrections").is_displayed()

    screenshot = tmp_path / "page.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
