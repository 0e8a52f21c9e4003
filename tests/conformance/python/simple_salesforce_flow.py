#!/usr/bin/env python3
"""Replays simple-salesforce's wire behaviour against the CrmSync emulator over HTTPS (stdlib only).

simple-salesforce itself is not installed here (no PyPI), so this script sends what its code sends
(simple_salesforce/login.py and api.py): the SOAP security-token login template with
`content-type: text/xml` / `SOAPAction: login`, the instance taken from `serverUrl` with the host kept and
`https://` hard-coded, then `Authorization: Bearer`, `X-PrettyPrint: 1`, `Content-Type: application/json`
on every REST call, base URLs ending in '/', `q` form-encoded, and replication dates encoded with
%3A/%2B. The emulator's self-signed certificate is trusted through the PEM written by `--cert-out`
(what REQUESTS_CA_BUNDLE does for requests). Exits non-zero on the first mismatch.

Usage: python3 tests/conformance/python/simple_salesforce_flow.py   (builds/starts/stops the emulator itself)
"""

import datetime
import glob
import gzip
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from html import escape
from xml.dom.minidom import parseString

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
USER, PASSWORD, TOKEN = "sync@crmsync.emulator", "password", "emulatortoken"
VERSION = "59.0"

LOGIN_TEMPLATE = """<?xml version="1.0" encoding="utf-8" ?>
        <env:Envelope
                xmlns:xsd="http://www.w3.org/2001/XMLSchema"
                xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                xmlns:env="http://schemas.xmlsoap.org/soap/envelope/"
                xmlns:urn="urn:partner.soap.sforce.com">
            <env:Header>
                <urn:CallOptions>
                    <urn:client>{client_id}</urn:client>
                    <urn:defaultNamespace>sf</urn:defaultNamespace>
                </urn:CallOptions>
            </env:Header>
            <env:Body>
                <n1:login xmlns:n1="urn:partner.soap.sforce.com">
                    <n1:username>{username}</n1:username>
                    <n1:password>{password}{token}</n1:password>
                </n1:login>
            </env:Body>
        </env:Envelope>"""


def find_dll():
    if os.environ.get("CRMSYNC_EMULATOR_DLL"):
        return os.environ["CRMSYNC_EMULATOR_DLL"]
    built = glob.glob(os.path.join(REPO, "src", "CrmSync.Emulator", "bin", "*", "net8.0", "CrmSync.Emulator.dll"))
    if built:
        return max(built, key=os.path.getmtime)
    subprocess.run(["dotnet", "build", os.path.join(REPO, "src", "CrmSync.Emulator"), "-v", "q", "-nologo"], check=True)
    return os.path.join(REPO, "src", "CrmSync.Emulator", "bin", "Debug", "net8.0", "CrmSync.Emulator.dll")


def unique_element_value(xml_bytes, name):
    """simple_salesforce.util.getUniqueElementValueFromXmlString: first element by qualified tag name."""
    elements = parseString(xml_bytes).getElementsByTagName(name)
    return elements[0].toxml().replace("<" + name + ">", "").replace("</" + name + ">", "") if elements else None


def date_to_iso8601(date):
    """simple_salesforce.util.date_to_iso8601."""
    datetime_str = date.strftime("%Y-%m-%dT%H:%M:%S")
    tz = date.strftime("%z")
    return "{}{}{}:{}".format(datetime_str, tz[0:1], tz[1:3], tz[3:5]).replace(":", "%3A").replace("+", "%2B")


class Client:
    def __init__(self, context):
        self.context = context
        self.headers = {}

    def call(self, method, url, body=None, headers=None, expect=(200,)):
        all_headers = {"Accept-Encoding": "gzip, deflate", **self.headers, **(headers or {})}
        data = body.encode("utf-8") if isinstance(body, str) else body
        request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
        try:
            with urllib.request.urlopen(request, context=self.context) as response:
                status, raw, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, raw, got = error.code, error.read(), error.headers
        if got.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        if status not in expect:
            raise AssertionError("{} {} -> {} {}".format(method, url, status, raw[:300]))
        return status, raw, got


def check(condition, message):
    if not condition:
        raise AssertionError(message)
    print("ok -", message)


def run(base_url, ca_file):
    context = ssl.create_default_context(cafile=ca_file)  # what REQUESTS_CA_BUNDLE=ca_file does
    sf = Client(context)

    # --- login.py: SalesforceLogin(username, password, security_token) against the emulator as 'domain'
    body = LOGIN_TEMPLATE.format(client_id="RestForce", username=escape(USER), password=escape(PASSWORD), token=TOKEN)
    soap_url = "{}/services/Soap/u/{}".format(base_url, VERSION)
    status, raw, _ = sf.call("POST", soap_url, body, {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"})
    session_id = unique_element_value(raw, "sessionId")
    server_url = unique_element_value(raw, "serverUrl")
    sf_instance = server_url.replace("http://", "").replace("https://", "").split("/")[0].replace("-api", "")
    check(session_id and sf_instance == base_url.split("://")[1], "SOAP login: sessionId and serverUrl host " + sf_instance)

    _, fault, _ = sf.call("POST", soap_url, LOGIN_TEMPLATE.format(client_id="RestForce", username=USER, password="wrong", token=""),
                          {"content-type": "text/xml", "charset": "UTF-8", "SOAPAction": "login"}, expect=(500,))
    check(unique_element_value(fault, "sf:exceptionCode") == "INVALID_LOGIN", "bad login: sf:exceptionCode INVALID_LOGIN")

    # --- api.py: Salesforce(session_id=..., instance=...)
    sf.headers = {"Content-Type": "application/json", "Authorization": "Bearer " + session_id, "X-PrettyPrint": "1"}
    base = "https://{}/services/data/v{}/".format(sf_instance, VERSION)

    _, raw, headers = sf.call("GET", base + "sobjects")
    check(headers.get("Content-Type") == "application/json;charset=UTF-8", "describe(): Content-Type application/json;charset=UTF-8")
    check(any(s["name"] == "Lead" for s in json.loads(raw)["sobjects"]), "describe() lists Lead")
    check(re.match(r"api-usage=\d+/\d+", headers.get("Sforce-Limit-Info", "")), "Sforce-Limit-Info parses as api-usage")

    lead = "https://{}/services/data/v{}/sobjects/Lead/".format(sf_instance, VERSION)
    check(json.loads(sf.call("GET", lead)[1])["objectDescribe"]["name"] == "Lead", "SFType.metadata() GET .../sobjects/Lead/")
    check(json.loads(sf.call("GET", urllib.parse.urljoin(lead, "describe"))[1])["keyPrefix"] == "00Q", "SFType.describe()")

    query = "SELECT Id, Name FROM Lead WHERE Name != null"
    _, raw, _ = sf.call("GET", base + "query/?" + urllib.parse.urlencode({"q": query}))
    check(json.loads(raw)["totalSize"] == 5, "query(): q form-encoded with '+' for spaces")
    _, raw, _ = sf.call("GET", base + "queryAll/?" + urllib.parse.urlencode({"q": "SELECT COUNT() FROM Lead"}))
    check(json.loads(raw)["totalSize"] == 5, "query_all() via queryAll/")

    _, raw, _ = sf.call("POST", lead, json.dumps({"LastName": "Turing", "Company": "Bletchley"}), expect=(201,))
    record_id = json.loads(raw)["id"]
    sf.call("PATCH", urllib.parse.urljoin(lead, record_id), json.dumps({"Title": "Codebreaker"}), expect=(204,))
    check(json.loads(sf.call("GET", urllib.parse.urljoin(lead, record_id))[1])["Title"] == "Codebreaker", "create/update/get")
    sf.call("DELETE", urllib.parse.urljoin(lead, record_id), expect=(204,))

    now = datetime.datetime.now(datetime.timezone.utc)
    window = "?start={}&end={}".format(date_to_iso8601(now - datetime.timedelta(days=1)), date_to_iso8601(now + datetime.timedelta(minutes=5)))
    check("ids" in json.loads(sf.call("GET", urllib.parse.urljoin(lead, "updated/" + window))[1]), "updated(start, end)")
    check("deletedRecords" in json.loads(sf.call("GET", urllib.parse.urljoin(lead, "deleted/" + window))[1]), "deleted(start, end)")

    check("DailyApiRequests" in json.loads(sf.call("GET", base + "limits/")[1]), "limits()")
    batch = {"batchRequests": [{"method": "GET", "url": "v{}/limits".format(VERSION)}]}
    check(json.loads(sf.call("POST", base + "composite/batch", json.dumps(batch))[1])["hasErrors"] is False, "composite/batch")


def main():
    folder = tempfile.mkdtemp(prefix="crmsync-ss-")
    pem = os.path.join(folder, "emulator-ca.pem")
    process = subprocess.Popen(
        ["dotnet", find_dll(), "--urls", "https://127.0.0.1:0", "--cert", os.path.join(folder, "tls.pfx"), "--cert-out", pem, "--seed", "lead=5"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base_url = None
        for line in process.stdout:
            match = re.search(r"listening on (https://\S+)", line)
            if match:
                base_url = match.group(1)
                break
        if base_url is None:
            raise AssertionError("emulator did not start")
        run(base_url, pem)
        print("simple-salesforce flow: all checks passed")
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print("FAILED:", failure, file=sys.stderr)
        sys.exit(1)
