// A stand-in for Cloudflare's D1 REST API, for dbtool's interop tests.
//
// It speaks the API's request and response JSON
//   POST /client/v4/accounts/{account_id}/d1/database/{database_id}/query
//   {"sql": "...", "params": [...]}
//   -> {"success": true, "errors": [], "messages": [], "result": [{"results": [...], "success": true, "meta": {...}}, ...]}
//   -> {"success": false, "errors": [{"code": 7500, "message": "..."}], "messages": [], "result": []}
// and executes the SQL on miniflare's real D1 engine (workerd's SQLite with D1's
// authorizer: no BEGIN/SAVEPOINT, no ATTACH, no _cf_ names, allow-listed PRAGMAs).
//
// Like D1, the `sql` of one request may hold several statements; they run as ONE
// batch, i.e. one transaction (a failing statement leaves nothing of the request
// behind), with one result per statement. Parameters bind to the last statement
// (workerd's rule for multi-statement calls).
//
// Configuration (environment):
//   D1_TEST_TOKEN            the bearer token that is accepted (else 401)
//   D1_TEST_FORBIDDEN_TOKEN  a token that authenticates but lacks D1 permission (403)
//   D1_TEST_ACCOUNT          the only account id (else 404)
//   D1_TEST_DATABASES        comma-separated database ids (else 404)
//   D1_TEST_ECHO_TOKEN=1     401 messages quote the rejected token (to test masking)
//   D1_TEST_NAMES            comma-separated names of those databases (default db-0, db-1 …),
//                            listed by GET /client/v4/accounts/{account_id}/d1/database
//                            ?name=SUBSTRING&page=N&per_page=M (D1's list API, paginated)
//   PORT                     0 (default) picks a free port; host is always 127.0.0.1
// On start it prints one line: `listening http://127.0.0.1:PORT`.
//
// Test hooks (no auth, loopback only):
//   POST /__control/fail   {"mode": "503" | "429" | "drop" | "503-after-commit" |
//                           "drop-after-commit", "count": N, "match": "substring"}
//                          the next N query requests whose SQL contains `match` fail that way;
//                          "*-after-commit" modes run and commit the SQL first.
//   GET  /__control/stats[?match=substring]
//                          {"requests": n, "executed": n, "faults_left": n}: query requests
//                          received and committed (only those whose SQL contains `match`)
//   GET  /__control/log[?match=substring]
//                          [{"at": ms, "fault": mode|null, "executed": bool}]: the timeline of
//                          query requests, to check a client's backoff
//   POST /__control/reset  clear faults and counters
// A fault with "retry_after": S sends `retry-after: S` with its 429 (default 0).
// List requests take faults too: their `sql` for matching is "LIST d1/database".

import http from "node:http";
import { Miniflare } from "miniflare";

const TOKEN = process.env.D1_TEST_TOKEN ?? "";
const FORBIDDEN_TOKEN = process.env.D1_TEST_FORBIDDEN_TOKEN ?? "";
const ACCOUNT = process.env.D1_TEST_ACCOUNT ?? "";
const DATABASES = (process.env.D1_TEST_DATABASES ?? "").split(",").filter(Boolean);
const ECHO_TOKEN = process.env.D1_TEST_ECHO_TOKEN === "1";
const NAMES = (process.env.D1_TEST_NAMES ?? "").split(",").filter(Boolean);
const nameOf = (id, i) => NAMES[i] ?? `db-${i}`;

const bindings = Object.fromEntries(DATABASES.map((id, i) => [`DB${i}`, id]));
const mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: bindings });
const databases = new Map();
for (const [binding, id] of Object.entries(bindings)) {
  databases.set(id, await mf.getD1Database(binding));
}

let faults = [];
let log = []; // one entry per query request: {sql, executed}

// --- statement splitting: SQLite's own sqlite3_complete() state machine -------------
// Tokens: 0 SEMI, 1 WS, 2 OTHER, 3 EXPLAIN, 4 CREATE, 5 TEMP, 6 TRIGGER, 7 END.
const TRANS = [
  [1, 0, 2, 3, 4, 2, 2, 2], // 0 INVALID
  [1, 1, 2, 3, 4, 2, 2, 2], // 1 START
  [1, 2, 2, 2, 2, 2, 2, 2], // 2 NORMAL
  [1, 3, 3, 2, 4, 2, 2, 2], // 3 EXPLAIN
  [1, 4, 2, 2, 2, 4, 5, 2], // 4 CREATE
  [6, 5, 5, 5, 5, 5, 5, 5], // 5 TRIGGER
  [6, 6, 5, 5, 5, 5, 5, 7], // 6 SEMI
  [1, 7, 5, 5, 5, 5, 5, 5], // 7 END
];
const KEYWORDS = { explain: 3, create: 4, temp: 5, temporary: 5, trigger: 6, end: 7 };

function nextToken(sql, i) {
  const c = sql[i];
  if (c === ";") return [0, i + 1];
  if (/\s/.test(c)) return [1, i + 1];
  if (c === "-" && sql[i + 1] === "-") {
    const end = sql.indexOf("\n", i);
    return [1, end < 0 ? sql.length : end + 1];
  }
  if (c === "/" && sql[i + 1] === "*") {
    const end = sql.indexOf("*/", i + 2);
    return [1, end < 0 ? sql.length : end + 2];
  }
  const close = { "'": "'", '"': '"', "`": "`", "[": "]" }[c];
  if (close) {
    let j = i + 1;
    while (j < sql.length) {
      if (sql[j] === close) {
        if (close !== "]" && sql[j + 1] === close) { j += 2; continue; }
        return [2, j + 1];
      }
      j += 1;
    }
    return [2, sql.length];
  }
  const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i, i + 64));
  if (word) return [KEYWORDS[word[0].toLowerCase()] ?? 2, i + word[0].length];
  return [2, i + 1];
}

export function splitStatements(sql) {
  const statements = [];
  let state = 0, start = 0, i = 0, hasCode = false;
  while (i < sql.length) {
    const [token, next] = nextToken(sql, i);
    state = TRANS[state][token];
    if (token !== 0 && token !== 1) hasCode = true;
    if (token === 0 && state === 1) {
      if (hasCode) statements.push(sql.slice(start, i).trim());
      start = next;
      hasCode = false;
    }
    i = next;
  }
  if (hasCode) statements.push(sql.slice(start).trim());
  return statements;
}

// --- HTTP ---------------------------------------------------------------------------
function send(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function failure(res, status, code, message) {
  send(res, status, { result: [], success: false, errors: [{ code, message }], messages: [] });
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function takeFault(sql) {
  const fault = faults.find((f) => f.count > 0 && (!f.match || sql.includes(f.match)));
  if (!fault) return null;
  fault.count -= 1;
  lastRetryAfter = fault.retry_after ?? 0;
  return fault.mode;
}
let lastRetryAfter = 0;

function handleList(req, res, account, params) {
  if (!authorize(req, res, account, null)) return;
  const entry = { sql: "LIST d1/database", executed: false, at: Date.now(), fault: null };
  log.push(entry);
  const fault = takeFault(entry.sql);
  entry.fault = fault;
  if (fault === "503") return failure(res, 503, 7500, "Service unavailable (injected)");
  if (fault === "429") {
    res.setHeader("retry-after", String(lastRetryAfter));
    return failure(res, 429, 971, "Please wait and consider throttling your request speed (injected)");
  }
  const name = params.get("name") ?? "";
  const page = Math.max(1, Number(params.get("page") ?? 1));
  const perPage = Math.max(1, Math.min(10000, Number(params.get("per_page") ?? 100)));
  const all = DATABASES.map((id, i) => ({ uuid: id, name: nameOf(id, i), version: "production" }))
    .filter((d) => d.name.includes(name));
  const result = all.slice((page - 1) * perPage, page * perPage);
  entry.executed = true;
  send(res, 200, { result, success: true, errors: [], messages: [],
    result_info: { page, per_page: perPage, count: result.length, total_count: all.length } });
}

async function execute(db, sql, params) {
  const statements = splitStatements(sql);
  if (statements.length === 0) throw new Error("No SQL statements detected.");
  const prepared = statements.map((s, i) => {
    const stmt = db.prepare(s);
    return i === statements.length - 1 && params.length ? stmt.bind(...params) : stmt;
  });
  const results = await db.batch(prepared);
  return results.map((r) => ({ results: r.results ?? [], success: r.success, meta: r.meta }));
}

function authorize(req, res, account, database) {
  const header = req.headers.authorization ?? "";
  const token = header.startsWith("Bearer ") ? header.slice(7) : "";
  if (FORBIDDEN_TOKEN && token === FORBIDDEN_TOKEN) {
    failure(res, 403, 10000, "Authentication error");
    return false;
  }
  if (!TOKEN || token !== TOKEN) {
    failure(res, 401, 10000, ECHO_TOKEN ? `Authentication error: invalid token '${token}'` : "Authentication error");
    return false;
  }
  if (account !== ACCOUNT) {
    const path = `/accounts/${account}/d1/database/${database}/query`;
    failure(res, 404, 7003, `Could not route to ${path}, perhaps your object identifier is invalid?`);
    return false;
  }
  if (database !== null && !databases.has(database)) {
    failure(res, 404, 7404, `The database ${database} could not be found`);
    return false;
  }
  return true;
}

async function handleQuery(req, res, account, database) {
  const raw = await readBody(req);
  if (!authorize(req, res, account, database)) return;
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return failure(res, 400, 7400, "The request is malformed: body is not JSON");
  }
  if (typeof body?.sql !== "string") return failure(res, 400, 7400, "The request is malformed: sql is required");
  const entry = { sql: body.sql, executed: false, at: Date.now(), fault: null };
  log.push(entry);
  const fault = takeFault(body.sql);
  entry.fault = fault;
  if (fault === "503") return failure(res, 503, 7500, "Service unavailable (injected)");
  if (fault === "429") {
    res.setHeader("retry-after", String(lastRetryAfter));
    return failure(res, 429, 971, "Please wait and consider throttling your request speed (injected)");
  }
  if (fault === "drop") return res.socket.destroy();
  let result;
  try {
    result = await execute(databases.get(database), body.sql, body.params ?? []);
    entry.executed = true;
  } catch (e) {
    const message = String(e?.cause?.message ?? e?.message ?? e).replace(/^D1_(EXEC_)?ERROR: /, "");
    return failure(res, 400, 7500, message);
  }
  if (fault === "503-after-commit") return failure(res, 503, 7500, "Service unavailable (injected, after commit)");
  if (fault === "drop-after-commit") return res.socket.destroy();
  send(res, 200, { result, success: true, errors: [], messages: [] });
}

async function handleControl(req, res, action, params) {
  if (action === "stats") {
    const match = params.get("match") ?? "";
    const seen = log.filter((e) => e.sql.includes(match));
    const left = faults.reduce((n, f) => n + f.count, 0);
    return send(res, 200, { requests: seen.length, executed: seen.filter((e) => e.executed).length, faults_left: left });
  }
  if (action === "log") {
    const match = params.get("match") ?? "";
    return send(res, 200, log.filter((e) => e.sql.includes(match))
      .map((e) => ({ at: e.at, fault: e.fault, executed: e.executed })));
  }
  if (action === "reset") {
    faults = [];
    log = [];
    return send(res, 200, { ok: true });
  }
  if (action === "fail") {
    const fault = JSON.parse((await readBody(req)) || "{}");
    faults.push({ mode: String(fault.mode), count: Number(fault.count ?? 1), match: fault.match ?? "",
                  retry_after: fault.retry_after ?? 0 });
    return send(res, 200, { ok: true });
  }
  send(res, 404, { ok: false });
}

const QUERY_PATH = /^\/client\/v4\/accounts\/([^/]+)\/d1\/database\/([^/]+)\/query$/;
const LIST_PATH = /^\/client\/v4\/accounts\/([^/]+)\/d1\/database\/?$/;

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, "http://localhost");
    const query = QUERY_PATH.exec(url.pathname);
    if (query && req.method === "POST") {
      return await handleQuery(req, res, decodeURIComponent(query[1]), decodeURIComponent(query[2]));
    }
    const list = LIST_PATH.exec(url.pathname);
    if (list && req.method === "GET") {
      return handleList(req, res, decodeURIComponent(list[1]), url.searchParams);
    }
    if (url.pathname.startsWith("/__control/")) {
      return await handleControl(req, res, url.pathname.slice("/__control/".length), url.searchParams);
    }
    failure(res, 404, 7000, `No route for that URI: ${req.method} ${url.pathname}`);
  } catch (e) {
    failure(res, 500, 7500, `test server error: ${e?.message ?? e}`);
  }
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}\n`);
});

async function shutdown() {
  server.close();
  await mf.dispose();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
