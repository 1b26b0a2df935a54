# The replicas' healthcheck, run by Docker inside each replica with the image's Python:
#   python -c "$(this file)" URL HOST STATUSES_JSON EXPECT_JSON
# Healthy: the answer's status is in STATUSES and the JSON body has every dotted key of EXPECT
# with that value. Redirects are not followed (a 301 is an answer). Prints the status and the
# start of the body, which Docker keeps in the health log.
import json
import sys
import urllib.error
import urllib.request

url, host, statuses, expect = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


request = urllib.request.Request(url, headers={"Host": host, "X-Forwarded-Proto": "https"})
try:
    with urllib.request.build_opener(NoRedirect).open(request, timeout=4) as response:
        status, body = response.status, response.read()
except urllib.error.HTTPError as error:
    status, body = error.code, error.read()
except Exception as error:
    print(type(error).__name__, error)
    sys.exit(1)
text = body.decode(errors="replace")
print(status, text[:200])
if status not in statuses:
    print("status", status, "is not one of", statuses)
    sys.exit(1)
if expect:
    try:
        data = json.loads(text)
    except ValueError:
        print("the body is not JSON")
        sys.exit(1)
    for key, wanted in expect.items():
        value = data
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value != wanted and str(value) != str(wanted):
            print(f"{key} is {value!r}, expected {wanted!r}")
            sys.exit(1)
