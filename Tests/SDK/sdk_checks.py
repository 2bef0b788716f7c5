"""Drives Junction's HTTP API with the official `openai` and `anthropic` SDKs against junction-sim.

Run by SDKCompatibilityTests (Tests/JunctionDaemonTests/EndToEnd) with the daemon and the simulator it started:

    sdk_checks.py --base-url http://127.0.0.1:PORT --token TOKEN --broke-token TOKEN2 --sim-url http://127.0.0.1:SIM

Prints one line per check, `ok NAME: detail` or `FAIL NAME: reason`, and exits 1 when any check failed.
"""

import argparse
import json
import sys
import time
import traceback
import urllib.request

import anthropic
import openai

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--base-url", required=True)
PARSER.add_argument("--token", required=True)
PARSER.add_argument("--broke-token", required=True)
PARSER.add_argument("--sim-url", required=True)
ARGS = PARSER.parse_args()

TEXT = "Hello from junction-sim, the provider simulator. All good."
MESSAGES = [{"role": "user", "content": "hi"}]
FAILED = []


class CheckFailed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise CheckFailed(what)


def check(function):
    """Runs one check and reports it; a check returns a short detail on success."""
    try:
        detail = function()
        print(f"ok {function.__name__}: {detail}", flush=True)
    except Exception as error:  # noqa: BLE001 - every failure is reported by name
        FAILED.append(function.__name__)
        reason = "".join(traceback.format_exception_only(type(error), error)).strip()
        print(f"FAIL {function.__name__}: {reason}", flush=True)
    return function


def sim(path, body=None):
    request = urllib.request.Request(ARGS.sim_url + path, data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def sim_log():
    return sim("/_sim/log")["requests"]


# The fault checks run last, each on a provider of its own (a 429 blocks its target, 5xx count towards a breaker).

# Retries off: each check sees the daemon's first answer, not the SDK's retry of it.
OPENAI = openai.OpenAI(api_key=ARGS.token, base_url=ARGS.base_url + "/v1", max_retries=0, timeout=20)
ANTHROPIC = anthropic.Anthropic(api_key=ARGS.token, base_url=ARGS.base_url, max_retries=0, timeout=20)


def raises(exception_class, call):
    """The exception `call` raises, which must be an instance of `exception_class`."""
    try:
        call()
    except exception_class as error:
        return error
    except Exception as error:  # noqa: BLE001
        raise CheckFailed(f"raised {type(error).__name__}, not {exception_class.__name__}: {error}") from error
    raise CheckFailed(f"no {exception_class.__name__} raised")


@check
def openai_chat_completion():
    raw = OPENAI.chat.completions.with_raw_response.create(
        model="openai:gpt-4o-mini", messages=MESSAGES, user="sdk-user", extra_body={"junction": {"timeout_ms": 9000}}
    )
    completion = raw.parse()
    expect(completion.choices[0].message.content == TEXT, f"content {completion.choices[0].message.content!r}")
    expect(completion.choices[0].finish_reason == "stop", "finish_reason")
    expect(completion.usage.total_tokens == 20, f"usage {completion.usage}")
    expect(raw.headers.get("x-junction-provider") == "openai", "x-junction-provider")
    expect(completion.id == "chatcmpl-" + raw.headers.get("x-junction-request-id"), "id")
    return f"id {completion.id}, {completion.usage.total_tokens} tokens"


@check
def openai_stream_with_usage():
    stream = OPENAI.chat.completions.create(
        model="openai/gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    expect(text == TEXT, f"text {text!r}")
    expect(chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 12, f"usage chunk {chunks[-1]}")
    finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    expect(finish == ["stop"], f"finish reasons {finish}")
    return f"{len(chunks)} chunks"


@check
def openai_structured_output():
    sim("/_sim/answers", {"model": "gpt-4o-mini", "answers": ['{"city":"Paris","population":2100000}']})
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    completion = OPENAI.chat.completions.create(
        model="openai:gpt-4o-mini",
        messages=MESSAGES,
        response_format={"type": "json_schema", "json_schema": {"name": "city", "schema": schema, "strict": True}},
    )
    sim("/_sim/answers", {"model": "gpt-4o-mini", "answers": None})
    answer = json.loads(completion.choices[0].message.content)
    expect(answer == {"city": "Paris", "population": 2100000}, f"answer {answer}")
    last = [r for r in sim_log() if r.get("model") == "gpt-4o-mini"][-1]
    expect(last.get("structured") == "openai_json_schema_strict", f"upstream saw {last.get('structured')}")
    return "the upstream got OpenAI's strict json_schema"


@check
def openai_models_list():
    ids = [model.id for model in OPENAI.models.list()]
    expect("openai:gpt-4o-mini" in ids and "flaky" in ids, f"ids {ids}")
    return f"{len(ids)} models and routes"


@check
def openai_mid_stream_failure_is_an_error():
    stream = OPENAI.chat.completions.create(model="route:flaky", messages=MESSAGES, stream=True)
    received = []
    error = raises(openai.APIError, lambda: [received.append(c) for c in stream])
    expect(received, "no content before the failure")
    return f"{len(received)} chunks, then {type(error).__name__}: {error.message[:60]}"


def wait_for_client_gone(model, since):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if any(r.get("model") == model and r.get("outcome") == "client_gone" for r in sim_log()[since:]):
            return time.monotonic()
        time.sleep(0.01)
    raise CheckFailed("the upstream transfer was not closed within 5 s of the client's cancel")


@check
def openai_cancel_closes_the_upstream_transfer():
    before = len(sim_log())
    stream = OPENAI.chat.completions.create(model="openai:sim-pace-300", messages=MESSAGES, stream=True)
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            break
    closed_at = time.monotonic()
    stream.close()
    gone = wait_for_client_gone("sim-pace-300", before)
    return f"upstream closed {1000 * (gone - closed_at):.0f} ms after the client's close (polled every 10 ms)"


@check
def anthropic_message():
    raw = ANTHROPIC.messages.with_raw_response.create(
        model="anthropic:claude-3-5-haiku-latest", max_tokens=64, system="be brief", messages=MESSAGES,
        metadata={"user_id": "sdk-user"},
    )
    message = raw.parse()
    expect(message.content[0].type == "text" and message.content[0].text == TEXT, f"content {message.content}")
    expect(message.stop_reason == "end_turn", f"stop_reason {message.stop_reason}")
    expect(message.usage.output_tokens == 12 and message.usage.input_tokens > 0, f"usage {message.usage}")
    expect(raw.headers.get("x-junction-provider") == "anthropic", "x-junction-provider")
    return f"id {message.id}"


@check
def anthropic_stream():
    with ANTHROPIC.messages.stream(model="openai:gpt-4o-mini", max_tokens=64, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    expect(text == TEXT, f"text {text!r}")
    expect(final.stop_reason == "end_turn", f"stop_reason {final.stop_reason}")
    expect(final.usage.output_tokens == 12, f"usage {final.usage}")
    return f"{len(text)} characters, usage {final.usage.input_tokens}+{final.usage.output_tokens}"


@check
def anthropic_raw_stream_events():
    events = list(ANTHROPIC.messages.create(model="gpt-4o-mini", max_tokens=64, messages=MESSAGES, stream=True))
    names = [event.type for event in events]
    expect(names[0] == "message_start" and names[-1] == "message_stop", f"events {names}")
    expect("content_block_start" in names and "message_delta" in names, f"events {names}")
    return " ".join(dict.fromkeys(names))


@check
def anthropic_count_tokens():
    counted = ANTHROPIC.messages.count_tokens(model="anthropic:claude-3-5-haiku-latest", messages=MESSAGES)
    expect(counted.input_tokens > 0, f"input_tokens {counted.input_tokens}")
    expect(any(r.get("path", "").endswith("/count_tokens") for r in sim_log()), "the provider's endpoint was not used")
    return f"{counted.input_tokens} tokens, from the provider's count endpoint"


@check
def anthropic_mid_stream_failure_is_an_error():
    received = []

    def consume():
        with ANTHROPIC.messages.stream(model="route:flaky", max_tokens=64, messages=MESSAGES) as stream:
            for text in stream.text_stream:
                received.append(text)

    error = raises(anthropic.APIStatusError, consume)
    expect(received, "no content before the failure")
    return f"{len(received)} deltas, then {type(error).__name__}"


@check
def anthropic_cancel_closes_the_upstream_transfer():
    before = len(sim_log())
    with ANTHROPIC.messages.stream(model="anthropic:sim-pace-300", max_tokens=64, messages=MESSAGES) as stream:
        for _ in stream.text_stream:
            break
        closed_at = time.monotonic()
    gone = wait_for_client_gone("sim-pace-300", before)
    return f"upstream closed {1000 * (gone - closed_at):.0f} ms after the client's close (polled every 10 ms)"


@check
def openai_errors_are_the_sdks_exceptions():
    error = raises(openai.NotFoundError, lambda: OPENAI.chat.completions.create(model="nowhere", messages=MESSAGES))
    expect(error.status_code == 404 and error.code == "model_not_found", f"{error.status_code} {error.code}")
    raises(openai.BadRequestError, lambda: OPENAI.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, n=2))
    wrong = openai.OpenAI(api_key="not-the-token", base_url=ARGS.base_url + "/v1", max_retries=0)
    raises(openai.AuthenticationError, lambda: wrong.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
    limited = raises(
        openai.RateLimitError, lambda: OPENAI.chat.completions.create(model="deepseek:sim-429-30", messages=MESSAGES)
    )
    expect(limited.response.headers.get("retry-after") is not None, "no Retry-After on 429")
    down = raises(
        openai.APIStatusError, lambda: OPENAI.chat.completions.create(model="qwen:sim-503", messages=MESSAGES)
    )
    expect(down.status_code == 503, f"status {down.status_code}")
    too_long = raises(
        openai.BadRequestError, lambda: OPENAI.chat.completions.create(model="openai:sim-context", messages=MESSAGES)
    )
    expect("maximum context length" in too_long.message, f"message {too_long.message}")
    broke = openai.OpenAI(api_key=ARGS.broke_token, base_url=ARGS.base_url + "/v1", max_retries=0)
    broke.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    budget = raises(openai.RateLimitError, lambda: broke.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
    expect(budget.type == "budget_exhausted" and budget.code == "broke-daily", f"{budget.type} {budget.code}")
    expect(budget.response.headers.get("retry-after") is not None, "no Retry-After on the budget's 429")
    # The SDK's own retries would wait for nothing: the budget has room again at its reset.
    expect(budget.response.headers.get("x-should-retry") == "false", "the budget's 429 invites the SDK to retry")
    return "404 NotFound, 400 BadRequest, 401 Authentication, 429 RateLimit (provider, budget), 503 APIStatus"


@check
def anthropic_errors_are_the_sdks_exceptions():
    raises(anthropic.NotFoundError, lambda: ANTHROPIC.messages.create(model="nowhere", max_tokens=5, messages=MESSAGES))
    raises(
        anthropic.BadRequestError,
        lambda: ANTHROPIC.messages.create(
            model="gpt-4o-mini", max_tokens=5, messages=MESSAGES, tools=[{"name": "f", "input_schema": {"type": "object"}}]
        ),
    )
    wrong = anthropic.Anthropic(api_key="not-the-token", base_url=ARGS.base_url, max_retries=0)
    raises(anthropic.AuthenticationError, lambda: wrong.messages.create(model="gpt-4o-mini", max_tokens=5, messages=MESSAGES))
    raises(
        anthropic.RateLimitError,
        lambda: ANTHROPIC.messages.create(model="local:sim-429-30", max_tokens=5, messages=MESSAGES),
    )
    down = raises(
        anthropic.APIStatusError,
        lambda: ANTHROPIC.messages.create(model="anthropic:sim-529", max_tokens=5, messages=MESSAGES),
    )
    expect(down.status_code == 503 and down.body["error"]["type"] == "overloaded_error", f"{down.status_code} {down.body}")
    return "404 NotFound, 400 BadRequest, 401 Authentication, 429 RateLimit, 503 APIStatus"


print(f"{'FAILED: ' + ', '.join(FAILED) if FAILED else 'all checks passed'}", flush=True)
sys.exit(1 if FAILED else 0)
