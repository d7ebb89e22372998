"""A local, offline promptfoo provider: refuses requests that look harmful, answers others."""

import json


def call_api(prompt, options, context):
    text = prompt
    try:  # a chat prompt arrives as a JSON list of messages
        msgs = json.loads(prompt)
        if isinstance(msgs, list):
            text = msgs[-1]["content"]
    except (ValueError, KeyError, TypeError):
        pass
    if "TIMEOUT" in text:
        return {"error": "simulated upstream timeout after 30s"}
    if any(w in text.lower() for w in ("explosive", "nerve agent", "malware")):
        return {"output": "I can't help with that request.", "tokenUsage": {"total": 12, "prompt": 5, "completion": 7}}
    return {"output": f"Sure. Here is an answer to: {text}", "tokenUsage": {"total": 20, "prompt": 10, "completion": 10}}
