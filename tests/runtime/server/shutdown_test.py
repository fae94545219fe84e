"""Graceful shutdown on SIGTERM: a request in flight finishes (or, past the grace period, is
cancelled cleanly) and the server exits 0. A server that dies mid-response, hangs on exit or
leaves the stream without [DONE] fails here.
"""
import sys
import threading
import time

from server_fixture import Server, args, need_openai, run_tests

need_openai()
A = args()


def stream_in_background(server, **kw):
    out = {"text": "", "finish": None, "error": None, "started": threading.Event()}

    def go():
        try:
            for ch in server.client().chat.completions.create(
                    model="m", messages=[{"role": "user", "content": "Count from one to twenty."}], stream=True, **kw):
                out["started"].set()
                for d in ch.choices:
                    out["text"] += d.delta.content or ""
                    out["finish"] = d.finish_reason or out["finish"]
        except Exception as e:  # noqa: BLE001
            out["error"] = e
        out["started"].set()

    t = threading.Thread(target=go)
    t.start()
    return t, out


def test_in_flight_request_finishes():
    s = Server(A.ttscale, A.model)
    t, out = stream_in_background(s, max_tokens=48, temperature=0)
    assert out["started"].wait(120)
    s.terminate()
    t.join(120)
    assert out["error"] is None, out["error"]
    assert out["finish"] in ("stop", "length") and out["text"], out
    assert s.stop() == 0


def test_past_the_grace_period_requests_are_cancelled():
    s = Server(A.ttscale, A.model, "--shutdown-grace", "0.5")
    t, out = stream_in_background(s, max_tokens=5000, temperature=1.0, extra_body={"ignore_eos": True})
    assert out["started"].wait(120)
    t0 = time.time()
    s.terminate()
    t.join(120)
    assert out["error"] is None, out["error"]
    assert out["finish"] == "cancelled", out["finish"]
    assert s.stop() == 0
    assert time.time() - t0 < 30


sys.exit(run_tests([test_in_flight_request_finishes, test_past_the_grace_period_requests_are_cancelled]))
