"""Bad-input corpus for the master's HTTP API, against a real master process:
each request is sent as raw HTTP (so method, headers and body are exactly what
the case says) and answered with its expected status and error fragment; the
master must keep serving afterwards. Then the same for authentication when a
cluster secret is set: missing, malformed, stale, forged, replayed."""
import hashlib
import hmac
import http.client
import json
import os
import socket
import time

import pytest

from cluster import Cluster

GOOD_TASK = {"argv": ["/bin/true"]}


def raw(c, method, path, body=None, headers=None):
    """(status, headers dict, decoded JSON or None) of one raw request."""
    conn = http.client.HTTPConnection("127.0.0.1", c.http_port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        try:
            doc = json.loads(data) if data else None
        except ValueError:
            doc = None
        return r.status, {k.lower(): v for k, v in r.getheaders()}, doc
    finally:
        conn.close()


def js(v):
    return json.dumps(v).encode()


# (name, method, path, body bytes or None, status, error fragment, extra check)
CASES = [
    # --- JSON syntax ---
    ("truncated json", "POST", "/v1/jobs", b'{"tasks": [', 400, "invalid JSON"),
    ("not json", "POST", "/v1/jobs", b"tasks=1", 400, "invalid JSON"),
    ("empty body", "POST", "/v1/jobs", b"", 400, ""),
    ("nul byte in body", "POST", "/v1/jobs", b'{"tasks":[{"argv":["a\x00b"]}]}', 400, ""),
    ("trailing garbage", "POST", "/v1/jobs", b'{"tasks":[{"argv":["x"]}]} xyz', 400, "invalid JSON"),
    ("bad utf-8", "POST", "/v1/jobs", b'{"tasks":[{"argv":["\xff\xfe"]}]}', 400, "invalid JSON"),
    ("deep nesting", "POST", "/v1/jobs", b"[" * 5000 + b"]" * 5000, 400, ""),
    # --- shape ---
    ("array at root", "POST", "/v1/jobs", js([GOOD_TASK]), 400, "(root): expected a JSON object"),
    ("no tasks", "POST", "/v1/jobs", js({"name": "x"}), 400, "tasks"),
    ("empty tasks", "POST", "/v1/jobs", js({"tasks": []}), 400, "tasks: expected a non-empty array"),
    # --- unknown fields ---
    ("unknown root field", "POST", "/v1/jobs", js({"tasks": [GOOD_TASK], "bogus": 1}), 400,
     "unknown field 'bogus'"),
    ("unknown task field", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, colour="red")]}),
     400, "tasks[0]: unknown field 'colour'"),
    # --- wrong types: the reason names the field ---
    ("argv not array", "POST", "/v1/jobs", js({"tasks": [{"argv": "true"}]}), 400, "tasks[0].argv"),
    ("argv item not string", "POST", "/v1/jobs", js({"tasks": [{"argv": ["a", 3]}]}), 400,
     "tasks[0].argv[1]: expected string"),
    ("empty argv0", "POST", "/v1/jobs", js({"tasks": [{"argv": [""]}]}), 400, "tasks[0].argv"),
    ("priority string", "POST", "/v1/jobs", js({"tasks": [GOOD_TASK], "priority": "high"}), 400,
     "priority"),
    ("retries out of range", "POST", "/v1/jobs", js({"tasks": [GOOD_TASK], "retries": 5000}), 400,
     "retries"),
    ("name not string", "POST", "/v1/jobs", js({"tasks": [GOOD_TASK], "name": 7}), 400, "name"),
    ("cores zero", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, cores=0)]}), 400,
     "tasks[0].cores"),
    ("cores bool", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, cores=True)]}), 400,
     "tasks[0].cores"),
    ("memory junk", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, memory="lots")]}), 400,
     "tasks[0].memory"),
    ("timeout negative", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, timeout=-1)]}), 400,
     "tasks[0].timeout"),
    ("env not object", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, env=["A=1"])]}), 400,
     "tasks[0].env"),
    ("env name with =", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, env={"A=B": "1"})]}),
     400, "tasks[0].env"),
    ("shell without cmd", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, shell=True)]}), 400,
     "tasks[0]"),
    ("argv and cmd", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, cmd="true")]}), 400,
     "tasks[0]"),
    ("payload not base64", "POST", "/v1/jobs",
     js({"tasks": [{"function": "f", "payload": "***"}]}), 400, "tasks[0].payload"),
    ("dep out of range", "POST", "/v1/jobs", js({"tasks": [dict(GOOD_TASK, deps=[5])]}), 400,
     "tasks[0].deps"),
    ("dep cycle", "POST", "/v1/jobs",
     js({"tasks": [dict(GOOD_TASK, deps=[1]), dict(GOOD_TASK, deps=[0])]}), 400, "cycle"),
    # --- graph jobs ---
    ("graph job unknown field", "POST", "/v1/graph-jobs",
     js({"algo": "pagerank", "graph": "/nonexistent.el", "damp": 0.5}), 400,
     "unknown field 'damp'"),
    ("graph job damping zero", "POST", "/v1/graph-jobs",
     js({"algo": "pagerank", "graph": "/nonexistent.el", "damping": 0}), 400, "damping"),
    ("graph job damping above one", "POST", "/v1/graph-jobs",
     js({"algo": "pagerank", "graph": "/nonexistent.el", "damping": 1.5}), 400, "damping"),
    ("graph job damping string", "POST", "/v1/graph-jobs",
     js({"algo": "pagerank", "graph": "/nonexistent.el", "damping": "0.85"}), 400, "damping"),
    ("graph job source not integer", "POST", "/v1/graph-jobs",
     js({"algo": "bfs", "graph": "/nonexistent.el", "source": "1"}), 400, "source"),
    ("graph job not object", "POST", "/v1/graph-jobs", js(["pagerank"]), 400, ""),
    # --- ids ---
    ("job id letters", "GET", "/v1/jobs/abc", None, 400, "bad job id 'abc'"),
    ("job id leading zero", "GET", "/v1/jobs/007", None, 400, "bad job id '007'"),
    ("job id negative", "GET", "/v1/jobs/-1", None, 400, "bad job id"),
    ("job id overflow", "GET", "/v1/jobs/18446744073709551616", None, 400, "bad job id"),
    ("job id huge text", "GET", "/v1/jobs/" + "9" * 300, None, 400, "bad job id"),
    ("unknown job", "GET", "/v1/jobs/424242", None, 404, "no job 424242"),
    ("unknown job tasks", "GET", "/v1/jobs/424242/tasks", None, 404, "no job"),
    ("cancel unknown job", "POST", "/v1/jobs/424242/cancel", None, 404, "no job"),
    # --- routes and methods ---
    ("no route", "GET", "/v2/jobs", None, 404, "no route for GET /v2/jobs"),
    ("trailing slash", "GET", "/v1/health/", None, 404, "no route"),
    ("dot segments", "GET", "/v1/../v1/health", None, 404, ""),
    ("DELETE jobs", "DELETE", "/v1/jobs", None, 405, "not allowed"),
    ("PUT job", "PUT", "/v1/jobs/1", b"{}", 405, "not allowed"),
    ("POST health", "POST", "/v1/health", b"{}", 405, "not allowed"),
    ("GET cancel", "GET", "/v1/jobs/1/cancel", None, 405, "not allowed"),
    ("PATCH workers", "PATCH", "/v1/workers", b"{}", 405, "not allowed"),
]

ALLOW = {"DELETE jobs": "GET, POST", "PUT job": "GET", "POST health": "GET",
         "GET cancel": "POST", "PATCH workers": "GET"}


@pytest.fixture(scope="module")
def master():
    c = Cluster()
    c.start_master()
    yield c
    c.close()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_request_is_answered_with_status_and_reason(master, case):
    name, method, path, body, status, fragment = case
    headers = {"Content-Type": "application/json"} if body is not None else {}
    code, hdrs, doc = raw(master, method, path, body, headers)
    assert code == status, (name, code, doc)
    assert isinstance(doc, dict) and isinstance(doc.get("error"), str), (name, doc)
    assert fragment in doc["error"], (name, doc["error"])
    if name in ALLOW:
        assert hdrs.get("allow") == ALLOW[name]
    assert master.master.alive()


def test_jobs_after_the_corpus_still_run(master):
    code, _, doc = raw(master, "POST", "/v1/jobs", js({"tasks": [GOOD_TASK]}),
                       {"Content-Type": "application/json"})
    assert code == 201 and isinstance(doc["id"], int)


def test_declared_oversized_body_gets_413_before_it_is_sent(master):
    s = socket.create_connection(("127.0.0.1", master.http_port), timeout=10)
    s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000000000\r\n\r\n")
    head = s.recv(4096).decode(errors="replace")
    s.close()
    assert head.startswith("HTTP/1.1 413"), head
    assert "over the limit" in head


def test_chunked_body_with_garbage_chunk_size_is_rejected(master):
    s = socket.create_connection(("127.0.0.1", master.http_port), timeout=10)
    s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
              b"zz\r\nabc\r\n0\r\n\r\n")
    head = s.recv(4096).decode(errors="replace")
    s.close()
    assert head.startswith("HTTP/1.1 400"), head
    assert master.master.alive()


def test_garbage_request_line_does_not_disturb_the_master(master):
    """Each junk request is answered with an error, closed, or (where
    libmicrohttpd waits for more bytes) left to the idle timeout; the master
    answers others meanwhile."""
    held = []
    for junk in [b"\x00\x01\x02\r\n\r\n", b"GET\r\n\r\n", b"A" * 70000 + b"\r\n\r\n",
                 b"GET /v1/health HTTP/9.9\r\n\r\n"]:
        s = socket.create_connection(("127.0.0.1", master.http_port), timeout=10)
        s.settimeout(0.5)
        try:
            s.sendall(junk)
            head = s.recv(4096)
            assert head == b"" or head[:10] in (b"HTTP/1.1 4", b"HTTP/1.1 5"), head[:40]
        except (socket.timeout, ConnectionResetError):
            pass
        held.append(s)
    code, _, doc = raw(master, "GET", "/v1/health")
    assert code == 200 and doc["status"] == "ok"
    for s in held:
        s.close()


# --- authentication (a cluster secret is set) ---

SECRET = "bad-input-corpus-secret-0123456789"


def signed(method, path, body=b"", secret=SECRET, ts=None, nonce=None):
    ts = str(int(time.time() * 1000)) if ts is None else str(ts)
    nonce = nonce or os.urandom(16).hex()
    msg = "\n".join([method, path, ts, nonce, hashlib.sha256(body).hexdigest()])
    mac = hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()
    return f"HERD-HMAC ts={ts},nonce={nonce},mac={mac}"


@pytest.fixture(scope="module")
def secured():
    c = Cluster(secret=SECRET)
    c.start_master()
    yield c
    c.close()


def now_ms():
    return int(time.time() * 1000)


AUTH_CASES = [
    ("missing", lambda m, p, b: None, "missing Authorization"),
    ("other scheme", lambda m, p, b: "Bearer abc", "malformed"),
    ("no fields", lambda m, p, b: "HERD-HMAC", "malformed"),
    ("short nonce", lambda m, p, b: signed(m, p, b, nonce="abcd"), "malformed"),
    ("mac not hex", lambda m, p, b: signed(m, p, b)[:-64] + "z" * 64, "malformed"),
    ("stale timestamp", lambda m, p, b: signed(m, p, b, ts=now_ms() - 3600_000), "skew"),
    ("future timestamp", lambda m, p, b: signed(m, p, b, ts=now_ms() + 3600_000), "skew"),
    ("wrong secret", lambda m, p, b: signed(m, p, b, secret="not-the-secret-xxxxxxxxxx"),
     "bad mac"),
    ("signed for another path", lambda m, p, b: signed(m, "/v1/workers", b), "bad mac"),
    ("signed for another method", lambda m, p, b: signed("GET", p, b), "bad mac"),
    ("signed for another body", lambda m, p, b: signed(m, p, b + b" "), "bad mac"),
]


@pytest.mark.parametrize("case", AUTH_CASES, ids=[c[0] for c in AUTH_CASES])
def test_unauthenticated_or_forged_request_is_401(secured, case):
    name, make, fragment = case
    body = js({"tasks": [GOOD_TASK]})
    hdrs = {"Content-Type": "application/json"}
    auth = make("POST", "/v1/jobs", body)
    if auth is not None:
        hdrs["Authorization"] = auth
    code, h, doc = raw(secured, "POST", "/v1/jobs", body, hdrs)
    assert code == 401, (name, code, doc)
    assert fragment in doc["error"], (name, doc)
    assert "www-authenticate" in h
    assert SECRET not in doc["error"]
    code, _, doc = raw(secured, "GET", "/v1/jobs", None,
                       {"Authorization": signed("GET", "/v1/jobs")})
    assert code == 200 and doc["jobs"] == [], "a refused request must not create a job"


def test_replayed_request_is_401_and_runs_once(secured):
    body = js({"tasks": [GOOD_TASK], "name": "replay-probe"})
    hdrs = {"Content-Type": "application/json",
            "Authorization": signed("POST", "/v1/jobs", body)}
    code, _, doc = raw(secured, "POST", "/v1/jobs", body, hdrs)
    assert code == 201, doc
    code, _, doc = raw(secured, "POST", "/v1/jobs", body, hdrs)
    assert code == 401 and "replay" in doc["error"], doc
    code, _, doc = raw(secured, "GET", "/v1/jobs", None,
                       {"Authorization": signed("GET", "/v1/jobs")})
    assert [j.get("name") for j in doc["jobs"]].count("replay-probe") == 1


def test_query_string_is_not_part_of_the_signed_path(secured):
    code, _, doc = raw(secured, "GET", "/v1/health?x=1", None,
                       {"Authorization": signed("GET", "/v1/health")})
    assert code == 200, doc
    code, _, doc = raw(secured, "GET", "/v1/health?x=1", None,
                       {"Authorization": signed("GET", "/v1/health?x=1")})
    assert code == 401, doc


def test_secret_never_appears_in_the_master_log(secured):
    assert SECRET not in secured.master.text()


def test_cli_clients_never_print_the_secret(secured):
    import subprocess
    from cluster import HERD
    addr = f"127.0.0.1:{secured.http_port - 1}"
    wrong = secured.path("wrong-secret")
    with open(wrong, "w") as f:
        f.write("a-wrong-secret-that-must-not-leak-42\n")
    outs = []
    for sf, cmd, tail in [(secured.secret_file, "workers", []),
                          (secured.secret_file, "submit", ["--", "/bin/true"]),
                          (wrong, "workers", []), (wrong, "submit", ["--", "/bin/true"])]:
        r = subprocess.run([HERD, cmd, "--master", addr, "--secret-file", sf, *tail],
                           capture_output=True, text=True, timeout=30)
        outs.append((sf, r.returncode, r.stdout + r.stderr))
    assert outs[0][1] == 0 and outs[1][1] == 0, outs[:2]
    assert outs[2][1] != 0 and outs[3][1] != 0, "a wrong secret must fail"
    assert "bad mac" in outs[2][2] or "401" in outs[2][2], outs[2][2]
    for _, _, text in outs:
        assert SECRET not in text and "a-wrong-secret-that-must-not-leak-42" not in text
    assert SECRET not in secured.master.text()
    assert "a-wrong-secret-that-must-not-leak-42" not in secured.master.text()
