// Verifies Standard Webhooks deliveries with the reference JavaScript library
// (npm "standardwebhooks"), for the Go tests of package webhook.
//
// Input (stdin): one JSON object per line,
//   {"secrets": ["whsec_…", …], "headers": {"webhook-id": "…", …}, "body": "<raw body>"}
// Output (stdout): one JSON line per input line, in order,
//   {"ok": true}  or  {"ok": false, "error": "<message>"}
//
// A delivery is ok when new Webhook(secret).verify(body, headers) succeeds for
// any of the secrets (passed with their whsec_ prefix, which the library
// strips). jsonParse is off so that the verdict is about the signature alone
// and not about whether the body is JSON. The library checks the timestamp
// against the current time (±5 min), so inputs must carry current timestamps.
import { createInterface } from "node:readline";
import { Webhook } from "standardwebhooks";

function verify(input) {
  const { secrets, headers, body } = input;
  if (!Array.isArray(secrets) || secrets.length === 0) {
    return { ok: false, error: "no secrets" };
  }
  if (typeof body !== "string") {
    return { ok: false, error: "body must be a string" };
  }
  const errors = [];
  for (const secret of secrets) {
    try {
      new Webhook(secret).verify(body, headers ?? {}, { jsonParse: false });
      return { ok: true };
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
  }
  return { ok: false, error: [...new Set(errors)].join("; ") };
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  let result;
  try {
    result = verify(JSON.parse(line));
  } catch (e) {
    result = { ok: false, error: `bad input line: ${e instanceof Error ? e.message : String(e)}` };
  }
  process.stdout.write(JSON.stringify(result) + "\n");
}
