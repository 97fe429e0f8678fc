"""Runs moto in-process on 127.0.0.1:PORT, with a small control API for what moto's own API lacks.

moto has no call to backdate an access key's creation or last use, nor to make AssumeRole fail
for one account, and it writes each credential report afresh when it is read, where IAM serves the
one it generated (up to 4 hours old). Tests, benchmarks and the demo need all three, so this
launcher wraps moto's WSGI app:

  POST /_cloudsweep/iam/access-key   {"account_id", "access_key_id", "create_date"?: ISO,
                                      "last_used"?: {"date": ISO, "service": str, "region": str} | null,
                                      "status"?: "Active" | "Inactive"}
  POST /_cloudsweep/sts/deny-assume  {"account_ids": [..]}  AssumeRole into these answers AccessDenied
  POST /_cloudsweep/iam/freeze-report {"account_id", "frozen": bool}  while frozen, the account's
                                      credential report stays as it is now, as a reused report does
  GET  /_cloudsweep/health

Everything else goes to moto unchanged. Usage: python3 moto_launcher.py PORT
"""
import io
import json
import os
import sys
from datetime import datetime, timezone
from urllib.parse import parse_qs

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from moto.iam.models import AccessKeyLastUsed, iam_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

denied_assume_accounts = set()


def parse_time(value):
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    # moto keeps naive UTC datetimes
    return parsed.astimezone(timezone.utc).replace(tzinfo=None)


def find_access_key(account_id, access_key_id):
    backend = iam_backends[account_id]["aws"]
    for user in backend.users.values():
        for key in user.access_keys:
            if key.access_key_id == access_key_id:
                return key
    return None


def set_access_key(body):
    key = find_access_key(body["account_id"], body["access_key_id"])
    if key is None:
        return Response(json.dumps({"error": "no such access key"}), status=404, mimetype="application/json")
    if "create_date" in body:
        key.create_date = parse_time(body["create_date"])
    if "last_used" in body:
        used = body["last_used"]
        key.last_used = None if used is None else AccessKeyLastUsed(
            timestamp=parse_time(used["date"]), service=used.get("service", "iam"), region=used.get("region", "us-east-1")
        )
    if "status" in body:
        key.status = body["status"]
    return Response(json.dumps({"ok": True}), mimetype="application/json")


def freeze_report(body):
    backend = iam_backends[body["account_id"]]["aws"]
    if body.get("frozen"):
        report = backend.get_credential_report()  # raises if none was generated: answered as a 500
        backend.get_credential_report = lambda: report
    else:
        backend.__dict__.pop("get_credential_report", None)
    return Response(json.dumps({"ok": True}), mimetype="application/json")


ACCESS_DENIED = """<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code>
  <Message>User is not authorized to perform: sts:AssumeRole on resource: {arn}</Message></Error>
  <RequestId>cloudsweep-test</RequestId></ErrorResponse>"""


class ControlApp:
    def __init__(self, moto_app):
        self.moto_app = moto_app

    def __call__(self, environ, start_response):
        request = Request(environ)
        path = request.path
        if path == "/_cloudsweep/health":
            return Response("ok")(environ, start_response)
        if path == "/_cloudsweep/iam/access-key" and request.method == "POST":
            return set_access_key(request.get_json(force=True))(environ, start_response)
        if path == "/_cloudsweep/iam/freeze-report" and request.method == "POST":
            return freeze_report(request.get_json(force=True))(environ, start_response)
        if path == "/_cloudsweep/sts/deny-assume" and request.method == "POST":
            denied_assume_accounts.clear()
            denied_assume_accounts.update(request.get_json(force=True).get("account_ids", []))
            return Response(json.dumps({"ok": True}), mimetype="application/json")(environ, start_response)
        if denied_assume_accounts and request.method == "POST":
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(raw)  # moto reads the body again
            form = parse_qs(raw.decode("utf-8", "replace"))
            if form.get("Action") == ["AssumeRole"]:
                arn = form.get("RoleArn", [""])[0]
                if any(f"::{account}:" in arn for account in denied_assume_accounts):
                    return Response(ACCESS_DENIED.format(arn=arn), status=403, mimetype="text/xml")(environ, start_response)
        return self.moto_app(environ, start_response)


def main():
    # Port 0 lets the system choose: the port is bound here, never picked free and bound later,
    # so emulators started at the same time (two test suites) cannot race for one.
    requested = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    app = ControlApp(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", requested, app, threaded=True)
    port = server.server_port
    # moto's Step Functions interpreter calls Lambda, EventBridge, DynamoDB... back on MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    print(f"moto listening on http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
