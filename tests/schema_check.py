#!/usr/bin/env python3
"""Checks src/schema.json (what `shakedown schema` prints) against the real suite format.

A developer tool, not part of CI. Needs `pip install jsonschema pyyaml`, and uses the
`shakedown` binary (default target/debug/shakedown, or $SHAKEDOWN_BIN) when it is built:

    cargo build --bin shakedown && python3 tests/schema_check.py

It checks that:
  1. the schema is a valid draft 2020-12 schema;
  2. every suite in suites/ and tests/suites/ that `shakedown validate` accepts, the schema
     accepts too (and every file in suites/ is accepted);
  3. every complete suite in README.md (a ```yaml block with a `checks:` key) is accepted by
     both the schema and `shakedown validate`;
  4. the schema rejects suites the compiler rejects for their shape: unknown keys at each
     level, wrong types, two request bodies, and the like.
Exits 0 when all hold, 1 otherwise.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "src" / "schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
BIN = Path(os.environ.get("SHAKEDOWN_BIN", ROOT / "target" / "debug" / "shakedown"))

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL  {message}")


def ok(message):
    print(f"ok    {message}")


def schema_errors(doc):
    return sorted(VALIDATOR.iter_errors(doc), key=lambda e: list(e.absolute_path))


def describe(errors):
    out = []
    for e in errors[:3]:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"    at {where}: {e.message[:300]}")
    return "\n".join(out)


def env_for(text):
    """Placeholder values for every env/secret name a suite refers to."""
    env = dict(os.environ)
    env.setdefault("BASE_URL", "http://127.0.0.1:8080")
    env.setdefault("GIT_SHA", "c0ffee1")
    for name in re.findall(r"\$\{\{\s*(?:env|secrets)\.([A-Za-z0-9_-]+)\s*\}\}", text):
        env.setdefault(name, f"placeholder-{name.lower()}")
    # Names listed under `secrets:` must be set even when not used in a string.
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, dict):
        secrets = doc.get("secrets") or []
        for name in [secrets] if isinstance(secrets, str) else secrets:
            if isinstance(name, str):
                env.setdefault(name, f"placeholder-{name.lower()}")
    return env


def compiler_accepts(path, env):
    """True/False from `shakedown validate`, or None when the binary is not built."""
    if not BIN.is_file():
        return None, ""
    r = subprocess.run([str(BIN), "validate", str(path)], env=env, capture_output=True, text=True,
                       cwd=path.parent)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


def check_suite_files():
    files = sorted((ROOT / "suites").rglob("*.y*ml")) + sorted((ROOT / "tests" / "suites").rglob("*.y*ml"))
    for path in files:
        rel = path.relative_to(ROOT)
        text = path.read_text()
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            doc = e
        accepted, output = compiler_accepts(path, env_for(text))
        if isinstance(doc, Exception):
            if accepted is not False:
                # PyYAML reads YAML 1.1; suites are YAML 1.2 (e.g. `{ url: /a?b=1 }` is fine).
                first = str(doc).splitlines()[0]
                print(f"skip  {rel}: PyYAML cannot read it ({first}), shakedown can")
            else:
                ok(f"{rel}: not YAML (as meant: the compiler rejects it too)")
            continue
        errors = schema_errors(doc)
        in_examples = rel.parts[0] == "suites"
        if accepted is False and not in_examples:
            verdict = "rejects it too" if errors else "accepts it (the problem is not one of shape)"
            ok(f"{rel}: the compiler rejects it (a test of invalid input); the schema {verdict}")
        elif errors:
            fail(f"{rel}: the schema rejects a suite that {'shakedown validate accepts' if accepted else 'must be valid'}\n{describe(errors)}")
        elif accepted is False:
            fail(f"{rel}: the schema accepts it but shakedown validate rejects it:\n{output}")
        else:
            ok(f"{rel}: valid")


def readme_suites():
    text = (ROOT / "README.md").read_text()
    for m in re.finditer(r"^```yaml\n(.*?)^```", text, re.S | re.M):
        block = m.group(1)
        if re.search(r"^checks:", block, re.M):
            yield text[: m.start()].count("\n") + 1, block


def check_readme():
    blocks = list(readme_suites())
    if not blocks:
        fail("README.md has no complete suite examples")
        return
    fixtures = ROOT / "suites" / "fixtures"
    for line, block in blocks:
        where = f"README.md:{line}"
        doc = yaml.safe_load(block)
        errors = schema_errors(doc)
        if errors:
            fail(f"{where}: the schema rejects this README example\n{describe(errors)}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            (tmp / "fixtures").symlink_to(fixtures)
            # Files the example refers to that the repository does not ship: empty stand-ins
            # (validate only checks that they exist).
            for ref in re.findall(r"\b(?:path|file|ca|client_cert|client_key):\s*([^\s,}\"']+)", block):
                p = tmp / ref
                if not p.exists():
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_bytes(b"")
            suite = tmp / "example.yaml"
            suite.write_text(block)
            accepted, output = compiler_accepts(suite, env_for(block))
            if accepted is False:
                fail(f"{where}: shakedown validate rejects this README example:\n{output}")
            else:
                ok(f"{where}: valid" + ("" if accepted else " (schema only: the binary is not built)"))


BASE = {"name": "t", "base_url": "http://127.0.0.1:1", "checks": [{"name": "c", "request": "GET /"}]}


def with_check(**check):
    return {**BASE, "checks": [{"name": "c", **check}]}


INVALID = {
    "an unknown suite key": {**BASE, "base_ur1": "http://x"},
    "an unknown check key": with_check(request="GET /", expectt={"status": 200}),
    "an unknown request key": with_check(request={"url": "/", "header": {"a": "b"}}),
    "an unknown expect key": with_check(request="GET /", expect={"statuss": 200}),
    "an unknown operator": with_check(request="GET /", expect={"body": {"contain": "x"}}),
    "an unknown defaults key": {**BASE, "defaults": {"timeoutt": "5s"}},
    "an unknown tls key": {**BASE, "tls": {"verify": False}},
    "an unknown retry key": with_check(request="GET /", retry={"for": "1m", "interval": "5s"}),
    "an unknown step key": with_check(steps=[{"request": "GET /", "expects": {}}]),
    "an unknown capture source": with_check(request="GET /", capture={"x": {"jsonpath": "$.a"}}),
    "no checks": {"name": "t"},
    "an empty check list": {"name": "t", "checks": []},
    "a check without a name": {**BASE, "checks": [{"request": "GET /"}]},
    "a check that does nothing": with_check(),
    "both request and steps": with_check(request="GET /", steps=[{"request": "GET /"}]),
    "expect beside steps": with_check(steps=[{"request": "GET /"}], expect={"status": 200}),
    "two bodies": with_check(request={"url": "/", "json": {}, "form": {"a": "b"}}),
    "a status that is not a code": with_check(request="GET /", expect={"status": 999}),
    "a status as a quoted number": with_check(request="GET /", expect={"status": "200"}),
    "a bad duration": with_check(request={"url": "/", "timeout": "5 parsecs"}),
    "retry without for": with_check(request="GET /", retry={"every": "5s"}),
    "too many retries": with_check(request="GET /", retries=11),
    "cookies neither shared nor isolated": with_check(request="GET /", cookies="private"),
    "a JSONPath not starting with $": with_check(request="GET /", expect={"json": {"a.b": 1}}),
    "an html operator without text": with_check(request="GET /", expect={"html": {"h1": {"contains": "x"}}}),
    "a capture with two sources": with_check(request="GET /", capture={"x": {"json": "$.a", "header": "b"}}),
    "a capture name with a dot": with_check(request="GET /", capture={"a.b": "$.a"}),
    "auth with neither basic nor bearer": with_check(request={"url": "/", "auth": {}}),
    "a client certificate without its key": {**BASE, "tls": {"client_cert": "c.pem"}},
    "a multipart file part without path": with_check(request={"url": "/", "multipart": {"f": {"type": "image/png"}}}),
    "an empty comparison": with_check(request="GET /", expect={"body": {}}),
    "a bad sha256": with_check(request="GET /", expect={"sha256": "abc"}),
    "a bad max_body": {**BASE, "defaults": {"max_body": "10 MiBs"}},
    "a suite that is a list": [BASE],
}


def check_rejections():
    for what, doc in INVALID.items():
        if schema_errors(doc):
            ok(f"the schema rejects {what}")
        else:
            fail(f"the schema accepts {what}")
    if schema_errors(BASE):
        fail(f"the schema rejects the minimal suite\n{describe(schema_errors(BASE))}")
    else:
        ok("the schema accepts the minimal suite")


def main():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    ok("src/schema.json is a valid draft 2020-12 JSON Schema")
    if BIN.is_file():
        printed = subprocess.run([str(BIN), "schema"], capture_output=True, text=True).stdout
        if json.loads(printed) != SCHEMA:
            fail(f"`{BIN} schema` does not print src/schema.json (rebuild it?)")
    else:
        print(f"note  {BIN} is not built: checking against the schema only")
    check_suite_files()
    check_readme()
    check_rejections()
    print(f"\n{'FAILED' if failures else 'OK'}: {len(failures)} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
